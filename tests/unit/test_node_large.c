/*
 * Unit tests of a chat larger than one frame's lists: a member table of
 * 1,000 entries goes to a joiner in pages, and its probe ends above all
 * of them; a version vector of 600 authors goes in pages on a link's
 * first heartbeats, and afterwards only what changed.
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
#include "node_int.h"

#define OLD 1000 /* tombstones of members gone long ago */

static void
test_a_chat_that_saw_a_thousand_members_is_joined_whole(void **state)
{
	(void)state;
	static fake a, b;
	uint64_t ids[4];

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	ticks(&a, 1000, 1100);
	for (int i = 0; i < OLD; i++) {
		char nick[16];
		snprintf(nick, sizeof nick, "old%d", i);
		wire_member e = {.id = 0x1000 + (uint64_t)i, .inc = 1000000 + (uint64_t)i,
				 .status = WIRE_LEFT, .nick = wire_cstr(nick)};
		member *m;
		member_state to;
		member_merge(&a.n->members, &e, &m, &to);
	}
	start(&b, B_ID, 2000, "bob", "10.0.0.2", "10.0.0.1:7420");
	link_up(&b, 1, &a, 101, 2005);
	/* HELLO, PROVE, then the table: 1,001 entries in 8 pages of at most 128 */
	assert_int_equal(pump(&a, 101, &b, 1, 2006), 2 + 8);
	assert_int_equal(b.n->members.len, OLD + 2);
	assert_true(member_self(&b.n->members)->inc > 1000000 + OLD - 1);
	settle(&a, 101, &b, 1, 2010);
	assert_int_equal(find_line(&b, "[USERS] alice (leader), bob"), 1);
	assert_int_equal(node_members(b.n, ids, 4), 2);
	assert_true(node_digest(a.n) == node_digest(b.n));
	stop(&a);
	stop(&b);
}

/* Our next heartbeat's vector part for l: its count, and whether more follow. */
static size_t
next_part(node *n, peer_link *l, bool *more)
{
	node_sync_heartbeat(n, 5000, n->hb);
	node_sync_vector(n, l, n->hb);
	*more = n->hb->u.heartbeat.more;
	return n->hb->u.heartbeat.count;
}

static void
test_a_long_vector_is_paged_then_only_changes_go(void **state)
{
	(void)state;
	static fake a;
	peer_link l = {.id = 7};
	bool more;

	start(&a, A_ID, 1000, "alice", "10.0.0.1", NULL);
	ticks(&a, 1000, 1100);
	for (uint64_t i = 0; i < 600; i++)
		hist_author_get(&a.n->history.hist, 0x5000 + i, NULL)->seq = i;
	/* 601 authors, alice first: 256 + 256 + 89 */
	assert_int_equal(next_part(a.n, &l, &more), WIRE_MAX_VECTOR);
	assert_true(more);
	assert_int_equal(next_part(a.n, &l, &more), WIRE_MAX_VECTOR);
	assert_true(more);
	assert_int_equal(next_part(a.n, &l, &more), 601 - 2 * WIRE_MAX_VECTOR);
	assert_false(more);
	/* nothing changed: nothing to tell */
	assert_int_equal(next_part(a.n, &l, &more), 0);
	assert_false(more);
	/* one author moved on: that entry alone */
	hist_author_find(&a.n->history.hist, 0x5000 + 417)->seq += 3;
	assert_int_equal(next_part(a.n, &l, &more), 1);
	assert_true(a.n->hb->u.heartbeat.have[0].id == 0x5000 + 417);
	assert_true(a.n->hb->u.heartbeat.have[0].seq == 417 + 3);
	/* another link starts from nothing */
	peer_link fresh = {.id = 8};
	assert_int_equal(next_part(a.n, &fresh, &more), WIRE_MAX_VECTOR);
	assert_true(more);
	free(l.told);
	free(fresh.told);
	stop(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_chat_that_saw_a_thousand_members_is_joined_whole),
		cmocka_unit_test(test_a_long_vector_is_paged_then_only_changes_go),
	};

	make_keys();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
