/* Unit tests of guests: the session table, the takeover and clash rules, record texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"

static hist_rec
rec(int kind, uint64_t host, uint64_t hlc, const char *nick, const char *text)
{
	hist_rec r = {.sender = host, .kind = (uint8_t)kind, .seq = 1, .hlc = hlc,
		      .text = text, .len = strlen(text)};

	snprintf(r.nick, sizeof r.nick, "%s", nick);
	return r;
}

static void
test_join_part_and_takeover(void **state)
{
	guest_table t = {0};
	guest *d, *g;
	char prev[40];
	hist_rec r = rec(HIST_GUEST_JOIN, 0xA, 100, "xena", "- 0000000000000007");

	(void)state;
	g = guest_join(&t, &r, &d);
	assert_null(d);
	assert_true(g->active);
	assert_ptr_equal(guest_other(&t, "XENA", 0), g);
	assert_null(guest_other(&t, "xena", 0xA));
	/* Node B takes xena over from A: A's session ends. */
	guest_join_text(0xA, 9, prev, sizeof prev);
	r = rec(HIST_GUEST_JOIN, 0xB, 200, "Xena", prev);
	g = guest_join(&t, &r, &d);
	assert_non_null(d);
	assert_int_equal(d->host, 0xA);
	assert_false(d->active);
	assert_int_equal(g->prev, 0xA);
	assert_int_equal(g->inc, 9);
	assert_ptr_equal(guest_other(&t, "xena", 0), guest_find(&t, 0xB, "xena"));
	r = rec(HIST_GUEST_PART, 0xB, 300, "xena", "quit");
	assert_non_null(guest_part(&t, &r));
	assert_null(guest_other(&t, "xena", 0));
	assert_int_equal(guest_find(&t, 0xB, "xena")->part_hlc, 300);
	r = rec(HIST_GUEST_PART, 0xC, 400, "nobody", "quit");
	assert_null(guest_part(&t, &r));
	guest_table_free(&t);
}

/* xena's records, as sim seed 17473 wrote them: A, B, A again, B restarted. */
static hist_rec
story(int i, char *buf)
{
	switch (i) {
	case 0: /* A hosts xena */
		return rec(HIST_GUEST_JOIN, 0xA, 100, "xena", "- 0000000000000001");
	case 1: /* B takes her over (A seemed gone) */
		guest_join_text(0xA, 2, buf, 40);
		return rec(HIST_GUEST_JOIN, 0xB, 200, "xena", buf);
	case 2: /* A takes her back: a new session of A */
		guest_join_text(0xB, 3, buf, 40);
		return rec(HIST_GUEST_JOIN, 0xA, 300, "xena", buf);
	default: /* B restarted: its session ended */
		return rec(HIST_GUEST_PART, 0xB, 400, "xena", "node restarted");
	}
}

/* Fold the story's records in this order; the host of xena's active session, or 0. */
static uint64_t
fold(const int *order, int n)
{
	guest_table t = {0};
	char buf[40];
	guest *d;

	for (int i = 0; i < n; i++) {
		hist_rec r = story(order[i], buf);
		if (r.kind == HIST_GUEST_JOIN)
			guest_join(&t, &r, &d);
		else
			guest_part(&t, &r);
	}
	guest *g = guest_other(&t, "xena", 0);
	uint64_t host = g ? g->host : 0;
	guest_table_free(&t);
	return host;
}

/*
 * Hosts' records come in any order (each host's own in its order): the
 * sessions must come out the same.  A takeover that comes late must not
 * end a session that began after it.
 */
static void
test_takeover_order_free(void **state)
{
	const int history[] = {0, 1, 2, 3};
	const int a_first[] = {0, 2, 1, 3};  /* B's records late: seed 17473's n0 */
	const int b_first[] = {1, 3, 0, 2};  /* A's records late */
	const int mixed[] = {1, 0, 2, 3};

	(void)state;
	assert_int_equal(fold(history, 4), 0xA);
	assert_int_equal(fold(a_first, 4), 0xA);
	assert_int_equal(fold(b_first, 4), 0xA);
	assert_int_equal(fold(mixed, 4), 0xA);
	/* A takeover before the join it ends: that session is over on arrival. */
	const int taken_first[] = {1, 0};
	assert_int_equal(fold(taken_first, 2), 0xB);
}

static void
test_who_yields(void **state)
{
	guest a = {.host = 0xA, .hlc = 100}, b = {.host = 0xB, .hlc = 200};

	(void)state;
	/* Two sides of a partition: the later join loses, on both sides. */
	assert_false(guest_yields(&a, &b));
	assert_true(guest_yields(&b, &a));
	/* Equal stamps: the host id decides. */
	b.hlc = 100;
	assert_true(guest_yields(&b, &a));
	/* A takeover: the one taken over yields, however early it joined. */
	b.prev = 0xA;
	b.hlc = 200;
	assert_true(guest_yields(&a, &b));
	assert_false(guest_yields(&b, &a));
}

static void
test_record_texts(void **state)
{
	char buf[40];
	uint64_t prev, inc;
	const char *tag, *line;
	size_t tag_len, len;

	(void)state;
	assert_int_equal(guest_join_text(0x0123456789abcdefull, 42, buf, sizeof buf), 33);
	assert_true(guest_join_parse(buf, 33, &prev, &inc));
	assert_true(prev == 0x0123456789abcdefull && inc == 42);
	assert_int_equal(guest_join_text(0, 43, buf, sizeof buf), 18);
	assert_true(guest_join_parse(buf, 18, &prev, &inc));
	assert_true(prev == 0 && inc == 43);
	assert_false(guest_join_parse("-", 1, &prev, &inc));
	assert_false(guest_join_parse("0123", 4, &prev, &inc));
	assert_false(guest_join_parse("- 0123456789ABCDEF", 18, &prev, &inc)); /* lower case only */
	assert_false(guest_join_parse("0123456789abcdef-0123456789abcdef", 33, &prev, &inc));

	assert_true(guest_chat_parse("s1.7 hello world", 16, &tag, &tag_len, &line, &len));
	assert_int_equal(tag_len, 4);
	assert_int_equal(len, 11);
	assert_memory_equal(line, "hello world", 11);
	assert_true(guest_chat_parse("- hi", 4, &tag, &tag_len, &line, &len));
	assert_int_equal(tag_len, 0);
	assert_true(guest_chat_parse("- ", 2, &tag, &tag_len, &line, &len));
	assert_int_equal(len, 0);
	assert_false(guest_chat_parse("no-space", 8, &tag, &tag_len, &line, &len));
	assert_false(guest_chat_parse("bad!tag x", 9, &tag, &tag_len, &line, &len));
}

static void
test_ids_fold_case(void **state)
{
	(void)state;
	assert_true(guest_id("Xena") == guest_id("xena"));
	assert_true(guest_id("xena") != guest_id("yuri"));
}

static void
test_seen_tags(void **state)
{
	static guest_seen s;
	char tag[16];

	(void)state;
	assert_true(guest_seen_add(&s, "xena", "a.1", 3));
	assert_false(guest_seen_add(&s, "XENA", "a.1", 3));
	assert_true(guest_seen_add(&s, "yuri", "a.1", 3)); /* per user */
	/* Bounded: the oldest are forgotten. */
	for (int i = 0; i < GUEST_SEEN_MAX; i++) {
		snprintf(tag, sizeof tag, "b.%d", i);
		assert_true(guest_seen_add(&s, "xena", tag, strlen(tag)));
	}
	assert_true(guest_seen_add(&s, "xena", "a.1", 3));
	assert_false(guest_seen_add(&s, "xena", "b.4095", 6));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_part_and_takeover),
		cmocka_unit_test(test_takeover_order_free),
		cmocka_unit_test(test_who_yields),
		cmocka_unit_test(test_record_texts),
		cmocka_unit_test(test_ids_fold_case),
		cmocka_unit_test(test_seen_tags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
