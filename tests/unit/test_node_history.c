/*
 * Unit tests of the node core: the message path and the history.  A line
 * is shown everywhere once, when stable; lost frames are pulled from any
 * member, and records whose signature was on a broken link are pulled
 * again; a newcomer gets the history (\history) and what was said while
 * its program started as news; a restart from the store repeats nothing;
 * a peer claiming records it never sends stalls nobody.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_fixture.h"

static void
test_chat_is_shown_everywhere_once(void **state)
{
	(void)state;
	static fake a, b;
	char da[33], db[33];

	pair(&a, &b);
	drop_sent(&a);
	drop_sent(&b);
	input(&b, 2100, "hi there");
	/* Not shown before alice's clock has passed it. */
	assert_int_equal(count_line(&b, "[bob] hi there"), 0);
	assert_int_equal(b.nout, 2); /* the record, and bob's signature over it */
	frame copy = b.out[0];
	uint8_t *dup = malloc(copy.len);
	memcpy(dup, copy.buf, copy.len);
	pump(&b, 1, &a, 101, 2101);
	/* Alice holds everything bob sent before this record: she shows it. */
	assert_string_equal(last_line(&a), "[bob] hi there");
	/* A second copy is a duplicate. */
	call_frame(&a, 2102, 101, dup + WIRE_HEADER, copy.len - WIRE_HEADER);
	free(dup);
	assert_int_equal(count_line(&a, "[bob] hi there"), 1);
	/* Her acknowledgement makes it stable at bob. */
	pump(&a, 101, &b, 1, 2103);
	assert_int_equal(count_line(&b, "[bob] hi there"), 1);
	assert_true(node_history_count(a.n) == 1 && node_history_count(b.n) == 1);
	node_history_digest(a.n, da);
	node_history_digest(b.n, db);
	assert_string_equal(da, db);
	/* Text that is not UTF-8 is refused, and nothing is sent. */
	int sent = b.nout;
	input(&b, 2150, "caf\xe9");
	assert_string_equal(last_line(&b), "[ERROR] message is not valid UTF-8");
	assert_int_equal(b.nout, sent);
	/* An escape sequence from the network is shown defused. */
	input(&a, 2200, "\x1b]0;pwned\x07");
	pump(&a, 101, &b, 1, 2201);
	assert_string_equal(last_line(&b), "[alice] \\e]0;pwned\\x07");
	stop(&a);
	stop(&b);
}

static void
test_lost_frames_are_pulled_from_any_member(void **state)
{
	(void)state;
	static fake a, b, c;

	pair(&a, &b);
	carol_joins_bob(&c, &b);
	/* alice speaks; the frame is lost on the way to bob. */
	input(&a, 3010, "while you joined");
	drop_sent(&a);
	ticks(&c, 3050, 3050);
	link_up(&c, 2, &a, 103, 3060);
	settle3(&a, &b, &c, 3061);
	/* Not shown anywhere yet: bob's clock has not passed it. */
	assert_int_equal(count_line(&a, "[alice] while you joined"), 0);
	/*
	 * The heartbeats carry clocks and version vectors: bob sees alice
	 * holds a record he lacks and pulls it; then all can show it.
	 */
	for (uint64_t t = 3100; t <= 3300; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		ticks(&c, t, t);
		settle3(&a, &b, &c, t);
	}
	assert_int_equal(count_line(&a, "[alice] while you joined"), 1);
	assert_int_equal(count_line(&b, "[alice] while you joined"), 1);
	assert_int_equal(count_line(&c, "[alice] while you joined"), 1);
	/* Once everyone is linked, a line is shown everywhere in its turn. */
	input(&a, 3400, "after");
	settle3(&a, &b, &c, 3401);
	for (fake *f = &a; f; f = f == &a ? &b : f == &b ? &c : NULL) {
		assert_int_equal(count_line(f, "[alice] after"), 1);
		assert_true(node_history_count(f->n) == 2);
	}
	stop3(&a, &b, &c);
}

/*
 * carol's program starts at 2950 but her node only at 3000 (opening the
 * store and deriving the key take time): alice's line of 2980 was said
 * after carol started, so carol shows it live; the one of 2900 is backlog.
 */
static void
test_a_line_said_while_the_program_started_is_news(void **state)
{
	(void)state;
	static fake a, b, c;

	pair(&a, &b);
	input(&a, 2900, "before carol");
	input(&a, 2980, "while carol started");
	settle(&a, 101, &b, 1, 2981);
	next_started_ms = 2950;
	carol_joins_bob(&c, &b);
	ticks(&c, 3050, 3050);
	link_up(&c, 2, &a, 103, 3060);
	settle3(&a, &b, &c, 3061);
	for (uint64_t t = 3100; t <= 3500; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		ticks(&c, t, t);
		settle3(&a, &b, &c, t);
	}
	assert_int_equal(count_line(&c, "[HISTORY] [alice] before carol"), 1);
	assert_int_equal(count_line(&c, "[alice] while carol started"), 1);
	assert_int_equal(count_line(&c, "[HISTORY] [alice] while carol started"), 0);
	stop3(&a, &b, &c);
}

static void
test_newcomer_gets_the_history(void **state)
{
	(void)state;
	static fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	input(&a, 1500, "before bob");
	assert_string_equal(last_line(&a), "[alice] before bob");
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	settle(&a, 101, &b, 1, 2010);
	assert_int_equal(count_line(&b, "[HISTORY] [alice] before bob"), 1);
	assert_int_equal(count_line(&b, "[alice] before bob"), 0);
	input(&b, 2100, "\\history");
	assert_string_equal(last_line(&b), "[HISTORY] [alice] before bob");
	/* \history N: the last N, oldest first. */
	for (int i = 0; i < 30; i++) {
		char line[16];
		snprintf(line, sizeof line, "line %d", i);
		input(&a, 2200 + (uint64_t)i, line);
		settle(&a, 101, &b, 1, 2200 + (uint64_t)i);
	}
	int mark = b.nlines;
	input(&b, 2300, "\\history 3");
	assert_int_equal(b.nlines, mark + 3);
	assert_string_equal(b.lines[mark], "[HISTORY] [alice] line 27");
	assert_string_equal(b.lines[mark + 2], "[HISTORY] [alice] line 29");
	input(&b, 2301, "\\history 0");
	assert_string_equal(last_line(&b), "[ERROR] usage: \\history [N], N from 1 to 100000");
	input(&b, 2302, "\\history many");
	assert_string_equal(last_line(&b), "[ERROR] usage: \\history [N], N from 1 to 100000");
	stop(&a);
	stop(&b);
}

static void
test_restart_from_the_store_repeats_nothing(void **state)
{
	(void)state;
	static fake a;
	char before[33], after[33];

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	input(&a, 1100, "one");
	input(&a, 1200, "two");
	node_history_digest(a.n, before);
	/* The process dies; its store survives, and a new one starts on it. */
	node_free(a.n);
	a.nlines = 0;
	node_config cfg = {.id = A_ID, .sign_pk = keys[0], .sign_sk = keys[0] + SIGN_PK,
			   .inc = 5000, .nick = "alice", .host = "10.0.0.1",
			   .port = 7420, .heartbeat_ms = 200, .timeout_ms = 1000, .wall_ms = 5000,
			   .mark_hlc = a.store.mark_hlc, .mark_sender = a.store.mark_sender};
	node_io io = io_of(&a);
	a.n = node_new(&cfg, &io, 5000);
	node_flush(a.n, 5000);
	assert_int_equal(count_line(&a, "[alice] one") + count_line(&a, "[HISTORY] [alice] one"), 0);
	assert_true(node_history_count(a.n) == 2);
	node_history_digest(a.n, after);
	assert_string_equal(before, after);
	/* Its sequence numbers and clock go on from where they were. */
	input(&a, 5100, "three");
	assert_string_equal(last_line(&a), "[alice] three");
	assert_true(a.store.len == 3 && a.store.v[2].r.seq == 3);
	assert_true(a.store.v[2].r.hlc > a.store.v[1].r.hlc);
	stop(&a);
}

/* The stamp of the last CHAT f sent, in ms (and forget everything f sent). */
static uint64_t
last_chat_ms(fake *f)
{
	static wire_msg m;
	uint64_t ms = 0;

	for (int i = 0; i < f->nout; i++)
		if (wire_decode(f->out[i].buf + WIRE_HEADER, f->out[i].len - WIRE_HEADER, &m) == 0 &&
		    m.type == WIRE_CHAT)
			ms = hlc_ms(m.u.chat.hlc);
	drop_sent(f);
	return ms;
}

/* The PULLs f sent on link l (and forget everything f sent). */
static int
pulls_sent(fake *f, uint32_t l)
{
	static wire_msg m;
	int k = 0;

	for (int i = 0; i < f->nout; i++)
		if (f->out[i].link == l &&
		    wire_decode(f->out[i].buf + WIRE_HEADER, f->out[i].len - WIRE_HEADER, &m) == 0)
			k += m.type == WIRE_PULL;
	drop_sent(f);
	return k;
}

static void
test_peer_claiming_records_it_never_sends_stalls_nobody(void **state)
{
	(void)state;
	static fake a, b;
	static wire_msg hb;
	wire_msg chat = {.type = WIRE_CHAT};

	pair(&a, &b);
	drop_sent(&a);
	/* Bob's heartbeat claims 50 records of an author nobody has. */
	hb.type = WIRE_HEARTBEAT;
	hb.u.heartbeat.hlc = 2100ull << HLC_SHIFT;
	hb.u.heartbeat.count = 1;
	hb.u.heartbeat.have[0] = (wire_have){.id = 0x99, .seq = 50, .live = 0};
	inject(&a, 101, 2100, &hb);
	assert_int_equal(pulls_sent(&a, 101), 1);
	/* A record far past what alice holds of its author: a gap, dropped. */
	set_chat(&chat, 0x77, 40, 2101, "ghost", "boo");
	inject(&a, 101, 2101, &chat);
	assert_int_equal(pulls_sent(&a, 101), 1);
	assert_true(node_history_count(a.n) == 0);
	/* Nothing comes; after timeout-ms alice says so and asks elsewhere. */
	ticks(&a, 2150, 3200);
	assert_non_null(strstr(a.last_log, "asking elsewhere"));
	/* Bob's own lines are not held up by any of it. */
	input(&b, 3300, "still here");
	pump(&b, 1, &a, 101, 3301);
	assert_int_equal(count_line(&a, "[bob] still here"), 1);
	/* A replay of an old record is a duplicate: nothing shown, nothing stored. */
	set_chat(&chat, B_ID, 1, 3300, "bob", "still here");
	inject(&a, 101, 3302, &chat);
	assert_int_equal(count_line(&a, "[bob] still here"), 1);
	assert_true(node_history_count(a.n) == 1);
	/* A stamp a week ahead of alice's clock does not drag it along. */
	chat.u.chat.seq = 2;
	chat.u.chat.hlc = (3400ull + 7 * 24 * 3600 * 1000) << HLC_SHIFT;
	inject(&a, 101, 3400, &chat);
	drop_sent(&a);
	input(&a, 3410, "my clock is mine");
	assert_true(last_chat_ms(&a) < 3400 + 1000);
	stop(&a);
	stop(&b);
}

/*
 * bob's record reaches alice, but his link to her breaks before the
 * signature that covers it: alice drops what waits on that link at once
 * and pulls it again from carol, instead of holding it for timeout-ms.
 */
static void
test_records_whose_signature_was_on_a_broken_link_are_pulled_again(void **state)
{
	(void)state;
	static fake a, b, c;
	int keep = 0, chats = 0;

	trio(&a, &b, &c);
	mesh3(&a, &b, &c, 3100, 3300);
	input(&b, 3310, "half sent");
	for (int i = 0; i < b.nout; i++) {
		static wire_msg m;
		frame *f = &b.out[i];
		if (f->link != 1) {
			b.out[keep++] = *f;
			continue;
		}
		if (wire_decode(f->buf + WIRE_HEADER, f->len - WIRE_HEADER, &m) == 0 &&
		    m.type == WIRE_CHAT) {
			call_frame(&a, 3311, 101, f->buf + WIRE_HEADER, f->len - WIRE_HEADER);
			chats++;
		}
		free(f->buf);
	}
	b.nout = keep;
	assert_int_equal(chats, 1);
	pump(&b, 102, &c, 1, 3311);
	call_link_down(&a, 3320, 101, "connection reset");
	call_link_down(&b, 3320, 1, "connection reset");
	drop_sent(&b);
	assert_true(node_history_count(a.n) == 0);
	for (uint64_t t = 3350; t <= 3600; t += 50) {
		ticks(&a, t, t);
		ticks(&c, t, t);
		settle(&a, 103, &c, 2, t);
	}
	assert_true(node_history_count(a.n) == 1); /* long before 3310 + timeout */
	stop3(&a, &b, &c);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat_is_shown_everywhere_once),
		cmocka_unit_test(test_lost_frames_are_pulled_from_any_member),
		cmocka_unit_test(test_a_line_said_while_the_program_started_is_news),
		cmocka_unit_test(test_newcomer_gets_the_history),
		cmocka_unit_test(test_restart_from_the_store_repeats_nothing),
		cmocka_unit_test(test_peer_claiming_records_it_never_sends_stalls_nobody),
		cmocka_unit_test(test_records_whose_signature_was_on_a_broken_link_are_pulled_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
