/*
 * node_check — the node core's invariants, checked with assert() (SQLite's
 * assert_pager_state() is the model): what the handlers rely on between
 * two entry points.  node.c checks them at the end of every entry point
 * that changes the node; the simulator after every step, deep included.
 *
 * Cost: the cheap part walks the members and the links once each, O(n),
 * so it stays on in every build: it runs after every frame, and a chat of
 * 100 members takes 500 heartbeats a second.  The deep part adds what
 * pairs members with links (a member's links counted, a link's member
 * looked up), the pairs of members and of links, nick claims, and the
 * history's heap and authors; it runs where CHORUS_CHECK_DEEP is defined
 * (the sanitizer build) and in the simulator.
 *
 * Members (member.h, node_member.c):
 *  - self is entry 0, this node's id, ALIVE, and the only self entry; no
 *    link is bound to it;
 *  - a member's nlinks is the number of links up and bound to it; a
 *    REJECTED member has none (its links were closed);
 *  - an ALIVE member has no settlement under way (gone_at 0, not flushed);
 *  - in the chat, an ALIVE member was shown ([JOIN]) and a shown one is
 *    ALIVE or LOST (each [JOIN] has at most one [LEAVE]); before the
 *    announce nobody else is shown;
 *  - a member being dialled has the link dialled for it;
 *  - the leader is live; one was announced exactly when we are in the chat.
 * Links (node_link.c): ids are not 0 and unique; a bound link's member is
 * in the table; a seed's link is there and dialled for it.
 * Phase (node_int.h): leaving never in PROBE; nothing queued once we may
 * send; queues within their bounds.
 * History (deep, hist.h): the heap is in history order, and holds nothing
 * at or before the last record shown.
 */
#include "node_int.h"

#include <assert.h>

static void
check_member(const node *n, const member *m, bool deep)
{
	assert(!m->self);
	assert(m->id != n->cfg.id);
	assert(!deep || m->nlinks == node_link_up_to(n, m->id));
	assert(m->state != MEMBER_REJECTED || m->nlinks == 0);
	assert(m->state != MEMBER_ALIVE || (m->gone_at == 0 && !m->flushed));
	assert(!deep || !m->connecting || node_link_dialled(n, m->id));
	if (node_in_chat(n)) {
		assert(m->state != MEMBER_ALIVE || m->shown);
		assert(!m->shown || m->state == MEMBER_ALIVE || m->state == MEMBER_LOST);
	} else if (n->phase != PHASE_DONE) {
		assert(!m->shown);
	}
}

static void
check_deep(const node *n)
{
	for (int i = 0; i < n->members.len; i++)
		for (int k = i + 1; k < n->members.len; k++)
			assert(n->members.v[i].id != n->members.v[k].id);
	/* what is kept while the table does not change is what it would be */
	assert(n->digest_gen != n->members.gen + 1 ||
	       n->digest == member_digest(&n->members));
	/* nicks resolved, and nothing changed since, means no clash is left */
	assert(n->nicks_gen != n->members.gen + 1 ||
	       member_nick_loser((member_table *)&n->members) == NULL);
	node_hist_assert(n);
}

void
node_check_state(const node *n, bool deep)
{
	const member *self = &n->members.v[0];

	assert(n->members.len >= 1);
	assert(self->self && self->id == n->cfg.id && self->state == MEMBER_ALIVE);
	assert(self->nlinks == 0);
	for (int i = 1; i < n->members.len; i++)
		check_member(n, &n->members.v[i], deep);
	assert(member_live(member_leader(&n->members)));
	assert(node_in_chat(n) ? n->leader != 0 : n->phase == PHASE_DONE || n->leader == 0);
	node_link_check(n, deep);
	assert(!n->leaving || n->phase != PHASE_PROBE);
	assert(!node_may_send(n) || node_hist_queued(n) == 0);
	assert(node_hist_queued(n) >= 0 && node_hist_queued(n) <= NODE_MAX_QUEUED);
	node_mod_assert(n);
	node_guest_assert(n, deep);
	if (deep)
		check_deep(n);
	(void)self;
}
