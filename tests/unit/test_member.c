/*
 * Unit tests of the membership table: the gossip merge rule, tombstones,
 * restarts, the leader view, the nick-claim rule and the digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "member.h"

static wire_member
entry(uint64_t id, uint64_t inc, uint8_t status, const char *nick)
{
	return (wire_member){.id = id, .inc = inc, .status = status, .nick = wire_cstr(nick),
			     .host = wire_cstr("10.0.0.9"), .port = 7420};
}

static member_change
merge(member_table *t, uint64_t id, uint64_t inc, uint8_t status, const char *nick,
      member **m)
{
	wire_member e = entry(id, inc, status, nick);
	member_state to;
	member_change c = member_merge(t, &e, m, &to);

	if (*m)
		(*m)->state = to; /* the node's transition, without its side effects */
	return c;
}

/* A table of self (id 5, inc 100, "alice") and nothing else. */
static member_table
table(void)
{
	member_table t = {0};

	member_add_self(&t, 5, 100, "alice", "10.0.0.1", 7420);
	return t;
}

static void
test_self_is_first_and_alive(void **state)
{
	(void)state;
	member_table t = table();
	member *self = member_self(&t);

	assert_true(self->self);
	assert_true(member_live(self));
	assert_ptr_equal(member_find(&t, 5), self);
	assert_null(member_find(&t, 6));
	assert_ptr_equal(member_leader(&t), self);
	assert_int_equal(member_count_live(&t), 1);
	member_table_free(&t);
}

static void
test_new_entries_are_pending_until_heard(void **state)
{
	(void)state;
	member_table t = table();
	member *m;

	assert_int_equal(merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m), MEMBER_ADDED);
	assert_int_equal(m->state, MEMBER_PENDING);
	assert_string_equal(m->nick, "bob");
	assert_string_equal(m->host, "10.0.0.9");
	assert_false(member_live(m));
	/* Pending is not live: bob is more senior but not the leader. */
	assert_ptr_equal(member_leader(&t), member_self(&t));
	m->state = MEMBER_ALIVE;
	assert_ptr_equal(member_leader(&t), m);
	assert_int_equal(member_count_live(&t), 2);
	member_table_free(&t);
}

static void
test_stale_and_same_incarnations_change_nothing(void **state)
{
	(void)state;
	member_table t = table();
	member *m;

	merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m);
	m->state = MEMBER_ALIVE;
	assert_int_equal(merge(&t, 7, 40, WIRE_LEFT, "old", &m), MEMBER_SAME);
	assert_int_equal(m->state, MEMBER_ALIVE);
	assert_true(m->inc == 50);
	assert_string_equal(m->nick, "bob");
	assert_int_equal(merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m), MEMBER_SAME);
	assert_int_equal(m->state, MEMBER_ALIVE);
	member_table_free(&t);
}

static void
test_tombstones_stick(void **state)
{
	(void)state;
	member_table t = table();
	member *m;

	merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m);
	m->state = MEMBER_ALIVE;
	assert_int_equal(merge(&t, 7, 50, WIRE_LEFT, "bob", &m), MEMBER_DEPARTED);
	assert_int_equal(m->state, MEMBER_LEFT);
	assert_false(member_live(m));
	/* News of the same incarnation cannot revive it, nor depart it twice. */
	assert_int_equal(merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m), MEMBER_SAME);
	assert_int_equal(merge(&t, 7, 50, WIRE_REJECTED, "bob", &m), MEMBER_SAME);
	assert_int_equal(m->state, MEMBER_LEFT);
	assert_int_equal(member_wire_status(m), WIRE_LEFT);
	/* A tombstone first heard by gossip is one from the start. */
	assert_int_equal(merge(&t, 8, 60, WIRE_REJECTED, "carol", &m), MEMBER_ADDED);
	assert_int_equal(m->state, MEMBER_REJECTED);
	member_table_free(&t);
}

static void
test_restart_with_higher_incarnation(void **state)
{
	(void)state;
	member_table t = table();
	member *m;

	merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m);
	m->state = MEMBER_LOST;
	assert_int_equal(merge(&t, 7, 300, WIRE_ACTIVE, "bob", &m), MEMBER_RESTARTED);
	assert_true(m->inc == 300);
	assert_int_equal(m->state, MEMBER_LOST);
	/* A restart revives a tombstone, as pending. */
	merge(&t, 7, 300, WIRE_LEFT, "bob", &m);
	assert_int_equal(m->state, MEMBER_LEFT);
	assert_int_equal(merge(&t, 7, 400, WIRE_ACTIVE, "bob", &m), MEMBER_RESTARTED);
	assert_int_equal(m->state, MEMBER_PENDING);
	/* A restart heard as a tombstone departs at once. */
	assert_int_equal(merge(&t, 7, 500, WIRE_LEFT, "bob", &m), MEMBER_DEPARTED);
	assert_int_equal(m->state, MEMBER_LEFT);
	member_table_free(&t);
}

static void
test_self_is_never_merged(void **state)
{
	(void)state;
	member_table t = table();
	member *m;

	assert_int_equal(merge(&t, 5, 999, WIRE_LEFT, "mallory", &m), MEMBER_SAME);
	assert_ptr_equal(m, member_self(&t));
	assert_true(m->inc == 100);
	assert_string_equal(m->nick, "alice");
	assert_true(member_live(m));
	member_table_free(&t);
}

static void
test_empty_host_and_port_do_not_erase(void **state)
{
	(void)state;
	member_table t = table();
	member *m;
	wire_member e = entry(7, 50, WIRE_ACTIVE, "bob");
	member_state to;

	member_merge(&t, &e, &m, &to);
	e.host = wire_cstr("");
	e.port = 0;
	e.inc = 60;
	member_merge(&t, &e, &m, &to);
	assert_string_equal(m->host, "10.0.0.9");
	assert_int_equal(m->port, 7420);
	member_table_free(&t);
}

static void
test_leader_is_most_senior_live(void **state)
{
	(void)state;
	member_table t = table(); /* self: inc 100, id 5 */
	member *a, *b, *c;

	merge(&t, 9, 100, WIRE_ACTIVE, "bob", &a);   /* same inc, higher id */
	merge(&t, 3, 100, WIRE_ACTIVE, "carol", &b); /* same inc, lower id */
	merge(&t, 8, 20, WIRE_ACTIVE, "dave", &c);   /* oldest */
	a->state = b->state = c->state = MEMBER_ALIVE;
	assert_string_equal(member_leader(&t)->nick, "dave");
	c->state = MEMBER_LOST; /* a lost member is never the leader */
	assert_string_equal(member_leader(&t)->nick, "carol");
	b->state = MEMBER_LEFT;
	assert_string_equal(member_leader(&t)->nick, "alice");
	/* dave restarts: back, but now the junior. */
	merge(&t, 8, 900, WIRE_ACTIVE, "dave", &c);
	c->state = MEMBER_ALIVE;
	assert_string_equal(member_leader(&t)->nick, "alice");
	assert_true(member_senior(member_self(&t), a) < 0);
	assert_true(member_senior(a, member_self(&t)) > 0);
	assert_int_equal(member_senior(a, a), 0);
	assert_int_equal(member_count_live(&t), 3);
	member_table_free(&t);
}

static void
test_nick_loser_is_the_junior(void **state)
{
	(void)state;
	member_table t = table(); /* alice, inc 100 */
	member *bob, *Bob, *ALICE;

	merge(&t, 7, 200, WIRE_ACTIVE, "bob", &bob);
	assert_null(member_nick_loser(&t));
	merge(&t, 6, 300, WIRE_ACTIVE, "Bob", &Bob);
	assert_ptr_equal(member_nick_loser(&t), Bob);
	Bob->state = MEMBER_REJECTED; /* a tombstone claims nothing */
	assert_null(member_nick_loser(&t));
	/* Same incarnation: the higher id loses, in either table order. */
	merge(&t, 9, 200, WIRE_ACTIVE, "BOB", &Bob);
	assert_ptr_equal(member_nick_loser(&t), Bob);
	member_table_free(&t);

	t = table();
	merge(&t, 9, 200, WIRE_ACTIVE, "BOB", &Bob);
	merge(&t, 7, 200, WIRE_ACTIVE, "bob", &bob);
	assert_ptr_equal(member_nick_loser(&t), Bob);
	/* Self can lose too: a more senior ALICE was there first. */
	merge(&t, 4, 50, WIRE_ACTIVE, "ALICE", &ALICE);
	assert_ptr_equal(member_nick_loser(&t), member_self(&t));
	member_table_free(&t);
}

static void
test_digest_ignores_order_but_not_content(void **state)
{
	(void)state;
	member_table a = table(), b = table();
	member *m;

	merge(&a, 7, 50, WIRE_ACTIVE, "bob", &m);
	merge(&a, 8, 60, WIRE_ACTIVE, "carol", &m);
	merge(&b, 8, 60, WIRE_ACTIVE, "carol", &m);
	merge(&b, 7, 50, WIRE_ACTIVE, "bob", &m);
	assert_true(member_digest(&a) == member_digest(&b));
	/* Alive, lost or pending look the same on the wire: same digest. */
	m->state = MEMBER_LOST;
	assert_true(member_digest(&a) == member_digest(&b));
	/* A tombstone or a restart changes it. */
	merge(&b, 7, 50, WIRE_LEFT, "bob", &m);
	uint64_t left = member_digest(&b);
	assert_true(left != member_digest(&a));
	merge(&a, 7, 51, WIRE_ACTIVE, "bob", &m);
	assert_true(member_digest(&a) != member_digest(&b));
	assert_true(member_digest(&a) != left);
	member_table_free(&a);
	member_table_free(&b);
}

static void
test_gossip_lists_every_entry(void **state)
{
	(void)state;
	member_table t = table();
	static wire_msg msg;
	member *m;

	merge(&t, 7, 50, WIRE_ACTIVE, "bob", &m);
	merge(&t, 8, 60, WIRE_REJECTED, "carol", &m);
	int from = 0;
	member_gossip(&t, &msg, &from);
	assert_false(msg.u.members.more);
	assert_int_equal(msg.type, WIRE_MEMBERS);
	assert_int_equal(msg.u.members.count, 3);
	assert_true(msg.u.members.entry[0].id == 5);
	assert_int_equal(msg.u.members.entry[1].status, WIRE_ACTIVE);
	assert_int_equal(msg.u.members.entry[2].status, WIRE_REJECTED);
	assert_memory_equal(msg.u.members.entry[2].nick.ptr, "carol", 5);
	member_table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_is_first_and_alive),
		cmocka_unit_test(test_new_entries_are_pending_until_heard),
		cmocka_unit_test(test_stale_and_same_incarnations_change_nothing),
		cmocka_unit_test(test_tombstones_stick),
		cmocka_unit_test(test_restart_with_higher_incarnation),
		cmocka_unit_test(test_self_is_never_merged),
		cmocka_unit_test(test_empty_host_and_port_do_not_erase),
		cmocka_unit_test(test_leader_is_most_senior_live),
		cmocka_unit_test(test_nick_loser_is_the_junior),
		cmocka_unit_test(test_digest_ignores_order_but_not_content),
		cmocka_unit_test(test_gossip_lists_every_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
