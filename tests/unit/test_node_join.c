/*
 * Unit tests of the node core: joining.  The first node announces itself;
 * a newcomer joins through a member and waits for the announce before it
 * shows what it heard; a taken nick and a REJECT end the node with 3, a
 * clock far off with 6; a seed that stays silent, or hangs after its
 * HELLO, is dialled again, and so is a member that lost the newcomer's.
 * A node whose seeds are peers (found by a broker's roll call) waits for
 * its deadline before it founds a chat, and joins through a peer found
 * after its start (node_add_seed) as through a seed.
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
test_first_node_announces_itself(void **state)
{
	(void)state;
	fake a;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	assert_int_equal(a.nlines, 3);
	assert_string_equal(a.lines[0], "[JOIN] alice joined the chat");
	assert_string_equal(a.lines[1], "[USERS] alice (leader)");
	assert_string_equal(a.lines[2], "[LEADER] alice is the leader");
	assert_true(node_announced(a.n));
	assert_true(node_leader(a.n) == A_ID);
	assert_int_equal(a.ndialled, 0);
	stop(&a);
}

static void
test_join_through_a_member(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t ids[4];

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	assert_int_equal(b.nlines, 0); /* probing: nothing shown yet */
	assert_false(node_announced(b.n));
	link_up(&b, 1, &a, 101, 2005);
	assert_true(pump(&a, 101, &b, 1, 2006) == 3); /* HELLO, PROVE, MEMBERS */
	/* bob greets alice, and waits for her clock before he is in. */
	assert_int_equal(b.nlines, 0);
	pump(&b, 1, &a, 101, 2007);
	assert_string_equal(last_line(&a), "[JOIN] bob joined the chat");
	pump(&a, 101, &b, 1, 2008);
	/* bob is in: its own lines, in the SPEC's order. */
	assert_int_equal(b.nlines, 3);
	assert_string_equal(b.lines[0], "[JOIN] bob joined the chat");
	assert_string_equal(b.lines[1], "[USERS] alice (leader), bob");
	assert_string_equal(b.lines[2], "[LEADER] alice is the leader");
	for (fake *f = &a; f; f = f == &a ? &b : NULL) {
		assert_int_equal(node_members(f->n, ids, 4), 2);
		assert_true(ids[0] == A_ID && ids[1] == B_ID);
		assert_true(node_leader(f->n) == A_ID);
	}
	stop(&a);
	stop(&b);
}

static void
test_taken_nick_exits_3(void **state)
{
	(void)state;
	static fake a, c;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&c, C_ID, 3000, "ALICE", "10.0.0.3", "10.0.0.1:7420");
	link_up(&c, 1, &a, 101, 3005);
	pump(&a, 101, &c, 1, 3006);
	/* The newcomer sees the clash in alice's list and loses it. */
	assert_int_equal(c.exit_code, 3);
	assert_string_equal(c.last_log, "nick \"ALICE\" is taken");
	assert_int_equal(find_line(&c, "[JOIN] ALICE joined the chat"), -1);
	assert_true(node_done(c.n));
	/* Its hello reached alice anyway: she refuses it, and shows no join. */
	int lines = a.nlines;
	pump(&c, 1, &a, 101, 3007);
	assert_int_equal(a.nlines, lines);
	assert_true(a.nclosed == 1 && a.closed[0] == 101);
	assert_int_equal(a.nout, 1); /* the REJECT, flushed before the close */
	wire_msg m;
	assert_int_equal(wire_decode(a.out[0].buf + WIRE_HEADER, a.out[0].len - WIRE_HEADER, &m), 0);
	assert_int_equal(m.type, WIRE_REJECT);
	assert_int_equal(a.exit_code, -1);
	stop(&a);
	stop(&c);
}

static void
test_reject_frame_exits_3(void **state)
{
	(void)state;
	static fake a, b;
	wire_buf w = {0};
	wire_msg r = {.type = WIRE_REJECT};

	pair(&a, &b);
	r.u.reject.reason = WIRE_NICK_TAKEN;
	r.u.reject.nick = wire_cstr("bob");
	wire_encode(&w, &r);
	call_frame(&b, 2100, 1, w.data + WIRE_HEADER, w.len - WIRE_HEADER);
	assert_int_equal(b.exit_code, 3);
	/* Once done, every entry point is a no-op. */
	int lines = b.nlines;
	input(&b, 2200, "\\is_leader");
	call_tick(&b, 2300);
	assert_int_equal(b.nlines, lines);
	wire_buf_free(&w);
	stop(&a);
	stop(&b);
}

static void
test_messages_wait_for_the_announce(void **state)
{
	(void)state;
	static fake a, b, c;

	pair(&a, &b);
	carol_joins_bob(&c, &b);
	/* bob talks while carol still waits for alice: she holds it. */
	input(&b, 3010, "early");
	pump(&b, 102, &c, 1, 3011);
	assert_int_equal(c.nlines, 0);
	ticks(&c, 3050, 3050);
	link_up(&c, 2, &a, 103, 3060);
	settle3(&a, &b, &c, 3061);
	/*
	 * The announce first, then what carol caught up on: said since she
	 * started, so as a line of the chat, not as history.
	 */
	assert_string_equal(c.lines[0], "[JOIN] carol joined the chat");
	assert_string_equal(c.lines[2], "[LEADER] alice is the leader");
	assert_string_equal(c.lines[3], "[bob] early");
	assert_int_equal(count_line(&a, "[bob] early"), 1);
	assert_int_equal(count_line(&b, "[bob] early"), 1);
	stop3(&a, &b, &c);
}

#define HOUR (3600ll * 1000)

/*
 * A joiner whose clock is 25 hours ahead learns it at join and stops with
 * code 6; alice carries on.  One 11 hours ahead (within the bound) joins
 * and chats, and both show the same lines in one order.  (The fake clocks
 * start near 0, so a clock behind cannot be tried here: the simulator's
 * and the system tests' clocks are real dates.)
 */
static void
test_a_joiner_whose_clock_is_far_off_is_told_and_stops(void **state)
{
	(void)state;
	static fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start_skewed(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420", 25 * HOUR);
	link_up(&b, 1, &a, 101, 2005);
	settle(&a, 101, &b, 1, 2010);
	ticks(&b, 2050, 2400);
	settle(&a, 101, &b, 1, 2400);
	assert_int_equal(b.exit_code, 6);
	assert_non_null(strstr(b.last_log, "clock is off by +25h00m from alice's"));
	assert_int_equal(find_line(&b, "[JOIN] bob joined the chat"), -1);
	stop(&b);

	start_skewed(&b, B_ID, 3000, "bob", "10.0.0.2", "10.0.0.1:7420", 11 * HOUR);
	link_up(&b, 1, &a, 102, 3005);
	settle(&a, 102, &b, 1, 3010);
	for (uint64_t t = 3050; t <= 3600; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		settle(&a, 102, &b, 1, t);
	}
	assert_int_equal(b.exit_code, -1);
	input(&b, 3610, "from the past");
	input(&a, 3620, "from now");
	for (uint64_t t = 3650; t <= 5000; t += 50) {
		ticks(&a, t, t);
		ticks(&b, t, t);
		settle(&a, 102, &b, 1, t);
	}
	for (fake *f = &a; f; f = f == &a ? &b : NULL) {
		assert_int_equal(count_line(f, "[bob] from the past"), 1);
		assert_int_equal(count_line(f, "[alice] from now"), 1);
	}
	/* One order on both. */
	assert_true((find_line(&a, "[bob] from the past") < find_line(&a, "[alice] from now")) ==
		    (find_line(&b, "[bob] from the past") < find_line(&b, "[alice] from now")));
	stop(&a);
	stop(&b);
}

static void
test_silent_seed_is_dialled_again(void **state)
{
	(void)state;
	static fake b;

	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	call_link_up(&b, 2005, 1, true, "10.0.0.1");
	/* The seed accepted, then never said a word. */
	ticks(&b, 2050, 3100);
	assert_true(b.nclosed == 1 && b.closed[0] == 1);
	ticks(&b, 3150, 3400);
	assert_int_equal(b.ndialled, 2);
	assert_false(node_announced(b.n));
	stop(&b);
}

static void
test_seed_that_hangs_after_its_hello_is_dialled_again(void **state)
{
	(void)state;
	static fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	/*
	 * Only alice's HELLO gets through; her proof and member list never
	 * do, so the HELLO counts for nothing: the link is never bound.
	 */
	assert_int_equal(a.nout, 3);
	call_frame(&b, 2006, 1, a.out[0].buf + WIRE_HEADER, a.out[0].len - WIRE_HEADER);
	drop_sent(&a);
	assert_false(node_announced(b.n));
	/* The link that led nowhere is closed; the probe starts over. */
	ticks(&b, 2050, 5200);
	assert_true(b.nclosed >= 1 && b.closed[0] == 1);
	ticks(&b, 5250, 5500);
	assert_true(b.ndialled >= 2);
	assert_string_equal(b.dialled[1], "10.0.0.1:7420");
	stop(&a);
	stop(&b);
}

static void
test_higher_id_dials_a_member_that_lost_its_hello(void **state)
{
	(void)state;
	static fake a, b;

	/* bob (the higher id) joins; the link breaks before alice hears him. */
	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	pump(&a, 101, &b, 1, 2006);
	/* alice's clock reaches bob (as if her heartbeat crossed his HELLO). */
	static wire_msg hb = {.type = WIRE_HEARTBEAT};
	hb.u.heartbeat.hlc = 2006ull << HLC_SHIFT;
	inject(&b, 1, 2006, &hb);
	assert_true(node_announced(b.n));
	drop_sent(&b);
	call_link_down(&b, 2007, 1, "connection reset by peer");
	call_link_down(&a, 2007, 101, "connection reset by peer");
	/* alice does not know bob; bob must dial her once she stays silent. */
	int dials = b.ndialled;
	ticks(&b, 2050, 2950);
	assert_int_equal(b.ndialled, dials);
	ticks(&b, 3000, 3200);
	assert_int_equal(b.ndialled, dials + 1);
	assert_string_equal(b.dialled[b.ndialled - 1], "10.0.0.1:7420");
	stop(&a);
	stop(&b);
}

static void
test_peer_node_founds_only_after_its_deadline(void **state)
{
	(void)state;
	fake a;

	next_seeds_are_peers = true;
	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	ticks(&a, 1000, 1900);
	assert_int_equal(a.nlines, 0); /* a roll call may still be answered */
	ticks(&a, 1900, 2100);
	assert_int_equal(find_line(&a, "[USERS] alice (leader)"), 1);
	stop(&a);
}

static void
test_held_join_never_founds_and_waits_again_once_released(void **state)
{
	(void)state;
	fake a;

	next_seeds_are_peers = true;
	start(&a, A_ID, 1000, "alice", "~0123456789abcdef", NULL);
	node_hold_join(a.n, 1000, true); /* the broker is down */
	ticks(&a, 1000, 5000);
	assert_int_equal(a.nlines, 0);
	node_hold_join(a.n, 5000, false); /* it is up: a roll call goes out */
	ticks(&a, 5000, 5900);
	assert_int_equal(a.nlines, 0);
	ticks(&a, 5900, 6100);
	assert_int_equal(find_line(&a, "[USERS] alice (leader)"), 1);
	node_hold_join(a.n, 6100, true); /* a member is not affected */
	assert_true(node_announced(a.n));
	stop(&a);
}

static void
test_peer_found_later_is_dialled_once(void **state)
{
	(void)state;
	fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	node_add_seed(a.n, 1100, "~0123456789abcdef", 1);
	assert_int_equal(a.ndialled, 0); /* only a node whose seeds are peers takes them */
	next_seeds_are_peers = true;
	start(&b, B_ID, 2000, "bob", "~fedcba9876543210", NULL);
	node_add_seed(b.n, 2001, "~0123456789abcdef", 1);
	node_add_seed(b.n, 2002, "~0123456789abcdef", 1);
	node_add_seed(b.n, 2002, "~0123456789abcdef", 0);
	assert_int_equal(b.ndialled, 1);
	assert_string_equal(b.dialled[0], "~0123456789abcdef:1");
	stop(&a);
	stop(&b);
}

static void
test_peer_found_later_is_joined_through(void **state)
{
	(void)state;
	fake a, b;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	next_seeds_are_peers = true;
	start(&b, B_ID, 2000, "bob", "10.0.0.2", NULL);
	node_add_seed(b.n, 2010, "10.0.0.1", 7420);
	link_up(&b, 1, &a, 101, 2015);
	settle(&a, 101, &b, 1, 2020);
	ticks(&a, 2050, 2100);
	ticks(&b, 2050, 2100);
	settle(&a, 101, &b, 1, 2100);
	assert_true(node_announced(b.n));
	assert_int_equal(find_line(&b, "[USERS] alice (leader), bob"), 1);
	assert_int_equal(find_line(&b, "[USERS] bob (leader)"), -1);
	stop(&a);
	stop(&b);
}

static void
test_a_life_comes_back_above_the_incarnation_it_last_told(void **state)
{
	(void)state;
	fake a;

	next_last_inc = 5000; /* an earlier life took 5000; the clock now says 1000 */
	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	assert_true(node_top_inc(a.n) == 5001);
	assert_true(a.store.inc == 5001); /* kept for the life after */
	stop(&a);
}

static void
test_a_newcomer_whose_clock_is_behind_is_junior_to_the_member_that_answered(void **state)
{
	(void)state;
	fake a, b;

	next_last_inc = 5000;
	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL); /* incarnation 5001 */
	ticks(&a, 1000, 1100);
	next_seeds_are_peers = true;
	start(&b, B_ID, 2000, "bob", "10.0.0.2", NULL); /* its clock: 2000 */
	node_raise_inc(b.n, node_top_inc(a.n)); /* alice's answer to the roll call */
	node_raise_inc(b.n, 10); /* an answer that knows less changes nothing */
	assert_true(node_top_inc(b.n) == 5002 && b.store.inc == 5002);
	node_add_seed(b.n, 2010, "10.0.0.1", 7420);
	link_up(&b, 1, &a, 101, 2015);
	node_raise_inc(b.n, 9000); /* told alice already: too late to change */
	assert_true(node_top_inc(b.n) == 5002);
	settle(&a, 101, &b, 1, 2020);
	ticks(&a, 2050, 2100);
	ticks(&b, 2050, 2100);
	settle(&a, 101, &b, 1, 2100);
	assert_int_equal(find_line(&b, "[USERS] alice (leader), bob"), 1);
	stop(&a);
	stop(&b);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_node_announces_itself),
		cmocka_unit_test(test_join_through_a_member),
		cmocka_unit_test(test_taken_nick_exits_3),
		cmocka_unit_test(test_reject_frame_exits_3),
		cmocka_unit_test(test_messages_wait_for_the_announce),
		cmocka_unit_test(test_a_joiner_whose_clock_is_far_off_is_told_and_stops),
		cmocka_unit_test(test_silent_seed_is_dialled_again),
		cmocka_unit_test(test_seed_that_hangs_after_its_hello_is_dialled_again),
		cmocka_unit_test(test_higher_id_dials_a_member_that_lost_its_hello),
		cmocka_unit_test(test_peer_node_founds_only_after_its_deadline),
		cmocka_unit_test(test_held_join_never_founds_and_waits_again_once_released),
		cmocka_unit_test(test_peer_found_later_is_dialled_once),
		cmocka_unit_test(test_peer_found_later_is_joined_through),
		cmocka_unit_test(test_a_life_comes_back_above_the_incarnation_it_last_told),
		cmocka_unit_test(test_a_newcomer_whose_clock_is_behind_is_junior_to_the_member_that_answered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
