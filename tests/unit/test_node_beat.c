/*
 * Unit tests of who gets a heartbeat when (node_beat.c): in a small chat
 * everyone every period; in a large one a senior beats everyone every
 * period, everyone else beats each member once in `spread` periods, and
 * only a senior's silence is judged in timeout-ms; a member that becomes
 * a senior gets a fresh timeout first, and a senior that stops being one
 * beats everyone every period for a while still.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node_fixture.h"
#include "node_int.h"

#define NOW 5000

/* Add count alive members of incarnation inc (ids from first up). */
static void
add_members(node *n, uint64_t first, int count, uint64_t inc)
{
	for (int i = 0; i < count; i++) {
		char nick[16];
		snprintf(nick, sizeof nick, "m%d", (int)(first + (uint64_t)i) % 1000);
		wire_member e = {.id = first + (uint64_t)i, .inc = inc, .nick = wire_cstr(nick)};
		member *m;
		member_state to;
		member_merge(&n->members, &e, &m, &to);
		node_member_heard(n, m, NOW);
	}
}

static member *
find(node *n, uint64_t id)
{
	return member_find(&n->members, id);
}

static uint64_t clock_ms = NOW; /* the periods' time, moving on */

/* One period: the plan, and a heartbeat to every member due one. */
static void
period(node *n)
{
	clock_ms += n->cfg.heartbeat_ms;
	node_beat_plan(n, clock_ms);
	for (int i = 1; i < n->members.len; i++)
		if (node_beat_due(n, &n->members.v[i], clock_ms))
			n->members.v[i].beat_at = clock_ms;
}

/* How many of periods consecutive periods have m due. */
static int
due_in(node *n, const member *m, int periods)
{
	int due = 0;

	for (int i = 0; i < periods; i++) {
		uint64_t was = m->beat_at;
		period(n);
		due += m->beat_at != was;
	}
	return due;
}

static node *
founder(fake *a)
{
	start(a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	ticks(a, 1000, 3000); /* founds the chat alone */
	assert_true(node_in_chat(a->n));
	return a->n;
}

/*
 * alice's chat: seniors members more senior than she is (ids 100 on) and
 * juniors less (ids 200 on), all alive.
 */
static node *
chat(fake *a, int seniors, int juniors)
{
	node *n = founder(a);
	uint64_t inc = member_self(&n->members)->inc;

	add_members(n, 100, seniors, inc - 1);
	add_members(n, 200, juniors, inc + 1);
	return n;
}

static void
test_up_to_eight_others_get_a_heartbeat_every_period(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 3, 5);

	node_beat_plan(n, NOW);
	assert_int_equal(n->beats.spread, 1);
	assert_false(n->beats.self_senior);
	assert_int_equal(due_in(n, find(n, 204), 10), 10);
	assert_true(node_beat_limit(n, find(n, 204)) == n->cfg.timeout_ms);
	stop(&a);
}

static void
test_a_large_chat_spreads_the_others_and_allows_them_longer(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 3, 20); /* 23 others: spread 3 */

	node_beat_plan(n, NOW);
	assert_int_equal(n->beats.spread, 3);
	assert_false(n->beats.self_senior);
	due_in(n, find(n, 100), 3); /* the first beats to each, all due at once */
	for (uint64_t id = 100; id < 103; id++) {
		assert_int_equal(due_in(n, find(n, id), 9), 3); /* seniors too, at the slow rate */
		assert_true(node_beat_limit(n, find(n, id)) == n->cfg.timeout_ms);
	}
	int per_period[3] = {0};
	for (uint64_t id = 200; id < 220; id++) {
		assert_int_equal(due_in(n, find(n, id), 9), 3); /* once every 3 periods */
		assert_true(node_beat_limit(n, find(n, id)) ==
			    n->cfg.timeout_ms + 2ull * 2 * n->cfg.heartbeat_ms);
	}
	for (int p = 0; p < 3; p++) {
		uint64_t was[20];
		for (uint64_t id = 200; id < 220; id++)
			was[id - 200] = find(n, id)->beat_at;
		period(n);
		for (uint64_t id = 200; id < 220; id++)
			per_period[p] += find(n, id)->beat_at != was[id - 200];
	}
	/* each period carries a share, not all of them at once */
	for (int p = 0; p < 3; p++)
		assert_true(per_period[p] >= 4 && per_period[p] <= 9);
	stop(&a);
}

static void
test_no_gap_is_longer_than_a_round_while_the_chat_grows(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 3, 10); /* 13 others: spread 2 */
	uint64_t inc = member_self(&n->members)->inc;

	for (int i = 0; i < 4; i++)
		period(n);
	assert_int_equal(n->beats.spread, 2);
	/* the chat grows to 100 others, spread 13, while the beats go on */
	uint64_t last[10];
	uint64_t worst = 0;
	for (uint64_t id = 200; id < 210; id++)
		last[id - 200] = find(n, id)->beat_at;
	for (int p = 0; p < 60; p++) {
		if (p % 2 == 0 && n->members.len < 101)
			add_members(n, 300 + (uint64_t)n->members.len, 8, inc + 1);
		period(n);
		for (uint64_t id = 200; id < 210; id++) {
			const member *m = find(n, id);
			if (m->beat_at == clock_ms) {
				uint64_t gap = clock_ms - last[id - 200];
				worst = gap > worst ? gap : worst;
				/* never longer than the round at the spread now, so never silent too long */
				assert_true(gap <= (uint64_t)n->beats.spread * n->cfg.heartbeat_ms);
				last[id - 200] = clock_ms;
			}
		}
	}
	assert_int_equal(n->beats.spread, 13);
	assert_true(worst >= 2 * n->cfg.heartbeat_ms); /* and they did spread */
	stop(&a);
}

static void
test_a_senior_beats_everyone_every_period(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 0, 30); /* alice is the leader */

	node_beat_plan(n, NOW);
	assert_true(n->beats.self_senior);
	assert_true(n->beats.seniors[0] == A_ID);
	assert_int_equal(due_in(n, find(n, 217), 6), 6);
	/* ... but a junior beats it at the slow rate: judged so */
	assert_true(node_beat_limit(n, find(n, 217)) ==
		    n->cfg.timeout_ms + 2ull * (n->beats.spread - 1) * n->cfg.heartbeat_ms);
	stop(&a);
}

static void
test_a_member_that_becomes_a_senior_gets_a_fresh_timeout(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 3, 20);

	node_beat_plan(n, NOW);
	/* m200, next in line, last heard 1.5 s ago: fine at the slow rate, late at the full one */
	find(n, 200)->last_heard = NOW + 1000;
	assert_true(node_beat_limit(n, find(n, 200)) > n->cfg.timeout_ms);
	node_member_set(n, find(n, 100), MEMBER_LOST, MEMBER_UNLINKED);
	node_member_set(n, find(n, 101), MEMBER_LOST, MEMBER_UNLINKED);
	node_beat_plan(n, NOW + 2500);
	assert_true(n->beats.seniors[2] == 200); /* m102, alice, m200 */
	assert_true(node_beat_limit(n, find(n, 200)) == n->cfg.timeout_ms);
	assert_true(find(n, 200)->last_heard == NOW + 2500);
	node_member_detect(n, NOW + 2500 + n->cfg.timeout_ms);
	assert_int_equal(find(n, 200)->state, MEMBER_ALIVE);
	node_member_detect(n, NOW + 2500 + n->cfg.timeout_ms + 1);
	assert_int_equal(find(n, 200)->state, MEMBER_LOST);
	stop(&a);
}

static void
test_a_former_senior_beats_everyone_for_a_while(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 2, 30); /* alice is the third senior */

	node_beat_plan(n, NOW);
	assert_true(n->beats.self_senior);
	/* an older member comes back: alice is fourth now */
	add_members(n, 150, 1, member_self(&n->members)->inc - 1);
	clock_ms = NOW;
	period(n);
	assert_false(n->beats.self_senior);
	uint64_t until = clock_ms + NODE_BEAT_GRACE * n->cfg.timeout_ms;
	int periods = (int)((until - clock_ms) / n->cfg.heartbeat_ms);
	assert_int_equal(due_in(n, find(n, 217), periods - 1), periods - 1);
	assert_true(due_in(n, find(n, 217), 3 * n->beats.spread) <= 4);
	stop(&a);
}

static void
test_a_late_tick_allows_what_may_wait_unread(void **state)
{
	(void)state;
	static fake a;
	node *n = chat(&a, 0, 3);
	uint64_t t = 3000, step = node_tick_ms(n);
	member *m = find(n, 200);

	m->last_heard = t;
	for (; t + step < 3000 + n->cfg.timeout_ms; t += step)
		call_tick(&a, t + step);
	assert_int_equal(m->state, MEMBER_ALIVE);
	/* the loop was slow: the next tick comes 350 ms late */
	t += step + 350;
	call_tick(&a, t);
	assert_true(t - m->last_heard > n->cfg.timeout_ms);
	assert_int_equal(m->state, MEMBER_ALIVE);
	/* on time again, after the sockets were read: still silent, lost */
	call_tick(&a, t + step);
	assert_int_equal(m->state, MEMBER_LOST);
	stop(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_to_eight_others_get_a_heartbeat_every_period),
		cmocka_unit_test(test_a_large_chat_spreads_the_others_and_allows_them_longer),
		cmocka_unit_test(test_no_gap_is_longer_than_a_round_while_the_chat_grows),
		cmocka_unit_test(test_a_senior_beats_everyone_every_period),
		cmocka_unit_test(test_a_member_that_becomes_a_senior_gets_a_fresh_timeout),
		cmocka_unit_test(test_a_former_senior_beats_everyone_for_a_while),
		cmocka_unit_test(test_a_late_tick_allows_what_may_wait_unread),
	};

	make_keys();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
