/*
 * Unit tests of hist: the hybrid logical clock, taking records in
 * (dedup, gaps, FIFO), clock reports, the order records are shown in, and
 * a digest that depends on the records but not on their arrival order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"

static hist_rec
rec(uint64_t sender, uint64_t seq, uint64_t hlc, const char *text)
{
	hist_rec r = {.sender = sender, .seq = seq, .hlc = hlc, .text = text,
		      .len = strlen(text)};

	strcpy(r.nick, "nick");
	return r;
}

static void
test_clock(void **state)
{
	(void)state;
	uint64_t t = hlc_tick(0, 1000);

	assert_true(t == 1000ull << HLC_SHIFT);
	/* Same millisecond: the counter moves on. */
	assert_true(hlc_tick(t, 1000) == t + 1);
	/* A wall clock that went back does not move the stamp back. */
	assert_true(hlc_tick(t + 5, 900) == t + 6);
	/* A stamp seen from a peer ahead of us carries us along. */
	uint64_t seen = hlc_seen(t, 2000ull << HLC_SHIFT);
	assert_true(seen == 2000ull << HLC_SHIFT);
	assert_true(hlc_tick(seen, 1500) > seen);
	assert_true(hlc_ms(seen) == 2000);
}

static void
test_take_dedups_and_finds_gaps(void **state)
{
	(void)state;
	hist h;
	hist_rec r1 = rec(7, 1, 100, "a"), r2 = rec(7, 2, 200, "b"), r3 = rec(7, 3, 300, "c");

	hist_init(&h);
	assert_int_equal(hist_take(&h, &r1), HIST_NEW);
	assert_int_equal(hist_take(&h, &r1), HIST_DUP);
	assert_int_equal(hist_take(&h, &r3), HIST_GAP);
	assert_true(h.count == 1);
	assert_int_equal(hist_take(&h, &r2), HIST_NEW);
	assert_int_equal(hist_take(&h, &r3), HIST_NEW);
	const hist_author *a = hist_author_find(&h, 7);
	assert_true(a->seq == 3 && a->clock == 300);
	assert_string_equal(a->nick, "nick");
	hist_free(&h);
}

/* An author's nick is bound by its first chat or directive record. */
static void
test_first_own_record_binds_the_nick(void **state)
{
	(void)state;
	hist h;
	hist_rec g = rec(7, 1, 100, "guest line"), r2 = rec(7, 2, 200, "b"),
		 r3 = rec(7, 3, 300, "c");

	g.kind = HIST_GUEST_CHAT;
	strcpy(g.nick, "yuki");   /* a guest's nick, not the author's */
	strcpy(r2.nick, "alice");
	strcpy(r3.nick, "mallory");
	hist_init(&h);
	assert_int_equal(hist_take(&h, &g), HIST_NEW);
	assert_string_equal(hist_author_find(&h, 7)->nick, "");
	assert_int_equal(hist_take(&h, &r2), HIST_NEW);
	assert_int_equal(hist_take(&h, &r3), HIST_NEW);
	assert_string_equal(hist_author_find(&h, 7)->nick, "alice");
	hist_free(&h);
}

static void
test_report_waits_for_the_records_it_covers(void **state)
{
	(void)state;
	hist h;
	hist_rec r1 = rec(7, 1, 100, "a"), r2 = rec(7, 2, 200, "b");

	hist_init(&h);
	hist_take(&h, &r1);
	/* "My clock is 500 and my last record is 2": 2 is not here yet. */
	hist_report(&h, 7, 500, 2);
	assert_true(hist_author_find(&h, 7)->clock == 100);
	hist_take(&h, &r2);
	assert_true(hist_author_find(&h, 7)->clock == 500);
	/* A report about records held moves the clock at once, never back. */
	hist_report(&h, 7, 600, 2);
	assert_true(hist_author_find(&h, 7)->clock == 600);
	hist_report(&h, 7, 550, 2);
	assert_true(hist_author_find(&h, 7)->clock == 600);
	/* A report from an author never heard of creates its entry. */
	hist_report(&h, 9, 50, 0);
	assert_true(hist_author_find(&h, 9)->clock == 50);
	hist_free(&h);
}

static void
test_held_records_come_out_in_history_order(void **state)
{
	(void)state;
	hist h;
	/* Equal stamps are ordered by sender. */
	hist_rec in[] = {rec(9, 1, 300, "d"), rec(7, 1, 100, "a"), rec(9, 2, 400, "e"),
			 rec(8, 1, 300, "c"), rec(3, 1, 200, "b")};
	const char *want = "abcde";

	hist_init(&h);
	for (size_t i = 0; i < 5; i++)
		hist_hold(&h, &in[i]);
	for (int i = 0; i < 5; i++) {
		const hist_rec *r = hist_first(&h);
		assert_non_null(r);
		assert_int_equal(r->text[0], want[i]);
		hist_shown(&h);
	}
	assert_null(hist_first(&h));
	/* Shown up to (400, 9): anything before it now comes late. */
	hist_rec late = rec(8, 2, 350, "x"), tie = rec(10, 1, 400, "y");
	assert_true(hist_is_late(&h, &late));
	assert_false(hist_is_late(&h, &tie));
	hist_free(&h);
}

static void
test_digest_depends_on_records_not_arrival(void **state)
{
	(void)state;
	hist a, b, c;
	hist_rec x1 = rec(7, 1, 100, "x"), y1 = rec(8, 1, 150, "y"), x2 = rec(7, 2, 200, "z");
	hist_rec other = rec(7, 2, 200, "Z");
	char da[33], db[33], dc[33];

	hist_init(&a);
	hist_init(&b);
	hist_init(&c);
	hist_take(&a, &x1);
	hist_take(&a, &y1);
	hist_take(&a, &x2);
	hist_take(&b, &y1);
	hist_take(&b, &x1);
	hist_take(&b, &x2);
	hist_take(&c, &x1);
	hist_take(&c, &y1);
	hist_take(&c, &other);
	hist_digest_hex(&a, da);
	hist_digest_hex(&b, db);
	hist_digest_hex(&c, dc);
	assert_string_equal(da, db);
	assert_string_not_equal(da, dc);
	assert_int_equal(strlen(da), 32);
	hist_free(&a);
	hist_free(&b);
	hist_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_take_dedups_and_finds_gaps),
		cmocka_unit_test(test_first_own_record_binds_the_nick),
		cmocka_unit_test(test_report_waits_for_the_records_it_covers),
		cmocka_unit_test(test_held_records_come_out_in_history_order),
		cmocka_unit_test(test_digest_depends_on_records_not_arrival),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
