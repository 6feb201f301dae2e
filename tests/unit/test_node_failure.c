/*
 * Unit tests of the node core: failure, failover and leaving.  A broken
 * link or a silent member is lost (and back when it is reachable again)
 * and leadership moves; a stalled process does not blame its peers; the
 * leader's crash leaves the next in charge; a leave is announced, with
 * the line said just before it; a restarted member's old link is dropped.
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
test_link_break_loses_member_and_moves_leadership(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t ids[4];

	pair(&a, &b);
	call_link_down(&b, 2500, 1, "connection reset by peer");
	assert_string_equal(b.lines[b.nlines - 2], "[LOST] alice is unreachable");
	assert_string_equal(b.lines[b.nlines - 1], "[LEADER] bob is the leader");
	assert_int_equal(node_members(b.n, ids, 4), 1);
	assert_true(node_leader(b.n) == B_ID);
	int lines = a.nlines;
	call_link_down(&a, 2500, 101, "connection reset by peer");
	assert_int_equal(a.nlines, lines + 1); /* alice stays leader: no [LEADER] */
	assert_string_equal(last_line(&a), "[LOST] bob is unreachable");
	/* alice has the lower id: she dials bob again, and he is back. */
	drop_sent(&a);
	ticks(&a, 2550, 2800);
	assert_string_equal(a.dialled[a.ndialled - 1], "10.0.0.2:7420");
	uint32_t al = a.next_link;
	link_up(&a, al, &b, 2, 2810);
	settle(&a, al, &b, 2, 2811);
	assert_string_equal(last_line(&a), "[BACK] bob is reachable again");
	assert_string_equal(b.lines[b.nlines - 2], "[BACK] alice is reachable again");
	assert_string_equal(b.lines[b.nlines - 1], "[LEADER] alice is the leader");
	stop(&a);
	stop(&b);
}

static void
test_silence_loses_member_after_timeout(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	/* alice goes quiet (hung): bob hears nothing from her. */
	ticks(&b, 2050, 2950);
	assert_int_equal(find_line(&b, "[LOST] alice is unreachable"), -1);
	ticks(&b, 3000, 3100);
	assert_true(find_line(&b, "[LOST] alice is unreachable") > 0);
	assert_string_equal(last_line(&b), "[LEADER] bob is the leader");
	/* After three timeouts of silence, the link itself is closed. */
	ticks(&b, 3150, 5100);
	assert_true(b.nclosed >= 1 && b.closed[0] == 1);
	stop(&a);
	stop(&b);
}

static void
test_stall_does_not_blame_the_peers(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	/* bob's process was stopped for 5 s: on waking, it gives alice a chance. */
	call_tick(&b, 7000);
	assert_int_equal(find_line(&b, "[LOST] alice is unreachable"), -1);
	stop(&a);
	stop(&b);
}

static void
test_leave_is_announced(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	input(&b, 2100, "bye");
	assert_int_equal(b.exit_code, 0);
	assert_string_equal(last_line(&b), "[LEAVE] bob left the chat");
	pump(&b, 1, &a, 101, 2101);
	assert_string_equal(last_line(&a), "[LEAVE] bob left the chat");
	call_link_down(&a, 2102, 101, "closed by peer");
	assert_string_equal(last_line(&a), "[LEAVE] bob left the chat"); /* no [LOST] */
	stop(&a);
	stop(&b);
}

static void
test_last_line_before_leaving_is_signed_and_arrives(void **state)
{
	(void)state;
	static fake a, b;

	pair(&a, &b);
	/* The line and the end of input in one loop pass: no flush between. */
	node_input(b.n, 2100, "last words", 10);
	node_leave(b.n, 2100);
	assert_int_equal(b.exit_code, 0);
	pump(&b, 1, &a, 101, 2101);
	call_link_down(&a, 2102, 101, "closed by peer");
	ticks(&a, 2150, 3500); /* bob is settled as gone: his line is stable */
	assert_int_equal(count_line(&a, "[bob] last words"), 1);
	stop(&a);
	stop(&b);
}

static void
test_three_nodes_and_leader_crash(void **state)
{
	(void)state;
	static fake a, b, c;
	uint64_t ids[4];

	trio(&a, &b, &c);
	assert_string_equal(c.lines[0], "[JOIN] carol joined the chat");
	assert_string_equal(c.lines[1], "[USERS] alice (leader), bob, carol");
	assert_string_equal(c.lines[2], "[LEADER] alice is the leader");
	assert_true(find_line(&a, "[JOIN] carol joined the chat") >= 0);
	assert_true(find_line(&b, "[JOIN] carol joined the chat") >= 0);
	/* alice crashes: both links break, both survivors pick bob. */
	call_link_down(&b, 4000, 1, "connection reset by peer");
	call_link_down(&c, 4000, 2, "connection reset by peer");
	for (fake *f = &b; f; f = f == &b ? &c : NULL) {
		assert_string_equal(f->lines[f->nlines - 2], "[LOST] alice is unreachable");
		assert_string_equal(last_line(f), "[LEADER] bob is the leader");
		assert_int_equal(node_members(f->n, ids, 4), 2);
		assert_true(ids[0] == B_ID && ids[1] == C_ID);
	}
	input(&b, 4001, "\\is_leader");
	assert_string_equal(last_line(&b), "[IS_LEADER] yes");
	stop3(&a, &b, &c);
}

static void
test_restarted_member_old_link_is_dropped(void **state)
{
	(void)state;
	static fake a, b, b2;

	pair(&a, &b);
	input(&b, 2100, "one");
	input(&b, 2101, "two");
	/* bob crashes and restarts before alice saw his last frames. */
	start(&b2, B_ID, 5000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b2, 1, &a, 104, 5005);
	settle(&a, 104, &b2, 1, 5006);
	input(&b2, 5010, "new one");
	/* Now the old process's frames arrive on its old link. */
	pump(&b, 1, &a, 101, 5011);
	assert_int_equal(count_line(&a, "[bob] one"), 0);
	assert_true(a.nclosed >= 1 && a.closed[a.nclosed - 1] == 101);
	pump(&b2, 1, &a, 104, 5012);
	assert_int_equal(count_line(&a, "[bob] new one"), 1);
	stop3(&a, &b, &b2);
}

int
main(void)
{
	make_keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_break_loses_member_and_moves_leadership),
		cmocka_unit_test(test_silence_loses_member_after_timeout),
		cmocka_unit_test(test_stall_does_not_blame_the_peers),
		cmocka_unit_test(test_leave_is_announced),
		cmocka_unit_test(test_last_line_before_leaving_is_signed_and_arrives),
		cmocka_unit_test(test_three_nodes_and_leader_crash),
		cmocka_unit_test(test_restarted_member_old_link_is_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
