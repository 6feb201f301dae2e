/*
 * node_phase — the node's own state machine (node_int.h draws it):
 * node_enter() is the one writer of n->phase; the JOINING guard
 * (join_complete) and what follows every change (node_settle: the nick
 * rule, the announce, a new leader); our HELLO on a link (node_greet),
 * which waits for the end of PROBE.
 */
#include "node_int.h"

#include <assert.h>

void
node_finish(node *n, int code)
{
	if (n->phase == PHASE_DONE)
		return;
	n->exit_code = code;
	node_enter(n, PHASE_DONE, n->last_tick);
}

void
node_greet(node *n, peer_link *l)
{
	member *self = member_self(&n->members);
	wire_msg hello = {.type = WIRE_HELLO};

	if (l->greeted || !l->up || n->phase == PHASE_PROBE || n->phase == PHASE_DONE)
		return;
	hello.u.hello = (wire_member){.id = self->id, .inc = self->inc,
				      .nick = wire_cstr(self->nick),
				      .host = wire_cstr(self->host), .port = self->port};
	node_send(n, l->id, &hello);
	node_hist_prove(n, l);
	node_send_members(n, l->id);
	l->greeted = true;
	n->inc_told = true;
	/* A bound link gets our clock and version vector at once. */
	if (l->peer)
		node_send_heartbeat(n, n->last_tick, l->id);
}

/* ANNOUNCED: the members alive now are shown as there; we say we joined. */
static void
announce(node *n)
{
	for (int i = 1; i < n->members.len; i++) {
		member *m = &n->members.v[i];
		m->shown = m->state == MEMBER_ALIVE;
	}
	node_emit(n, EVENT_JOIN, n->nick, NULL);
	node_emit_users(n);
	const member *leader = member_leader(&n->members);
	n->leader = leader->id;
	node_emit(n, EVENT_LEADER, leader->nick, NULL);
}

/* Whether the diagram in node_int.h has this edge. */
static bool
legal(node_phase from, node_phase to)
{
	switch (to) {
	case PHASE_PROBE: return false; /* only ever the first phase */
	case PHASE_JOINING: return from == PHASE_PROBE;
	case PHASE_ANNOUNCED: return from == PHASE_JOINING;
	case PHASE_READY:
	case PHASE_CAUGHT_UP: return from == PHASE_ANNOUNCED;
	case PHASE_MEMBER: return from == PHASE_READY || from == PHASE_CAUGHT_UP;
	case PHASE_DONE: return from != PHASE_DONE;
	}
	return false;
}

void
node_enter(node *n, node_phase to, uint64_t now)
{
	node_phase from = n->phase;

	assert(legal(from, to));
	n->phase = to;
	switch (to) {
	case PHASE_PROBE:
		break;
	case PHASE_JOINING:
		n->join_deadline = now + n->cfg.timeout_ms;
		node_log(n, NODE_LOG_VERBOSE, "joined through a seed; incarnation %llu",
			 (unsigned long long)member_self(&n->members)->inc);
		node_link_greet_all(n);
		break;
	case PHASE_ANNOUNCED:
		announce(n);
		break;
	case PHASE_READY:
		node_hist_release(n, now);
		break;
	case PHASE_CAUGHT_UP:
		node_show_backlog(n, now);
		break;
	case PHASE_MEMBER:
		if (from == PHASE_READY)
			node_show_backlog(n, now);
		else
			node_hist_release(n, now);
		break;
	case PHASE_DONE:
		n->io.exit(n->io.ctx, n->exit_code);
		break;
	}
}

/*
 * The joiner is ready once no member it learned of is still pending, and
 * every one it is linked to has reported its clock (so that a joiner whose
 * clock is far off learns it before it announces itself: node_hist.c).
 * One whose seeds are peers (starting too, or found by a roll call) waits
 * for the deadline unless it has met one of them: until then, it cannot
 * know that it is first, nor while its join is held (node_hold_join).  It
 * also waits while a seed it dialled is not reached yet: the first peer it
 * meets may be another joiner, and announcing with only that one would
 * stamp its first lines behind the chat's clock (shown [LATE] everywhere).
 */
static bool
join_complete(node *n, uint64_t now)
{
	bool met = false;

	if (n->join_held)
		return false;
	if (now >= n->join_deadline)
		return true;
	for (int i = 1; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (m->state == MEMBER_PENDING || (m->state == MEMBER_ALIVE && !m->reported))
			return false;
		met |= m->state == MEMBER_ALIVE;
	}
	if (!n->cfg.seeds_are_peers)
		return true;
	return met && !node_link_seeds_dialling(n);
}

/*
 * After any change: settle nick claims, finish a join, and report a new
 * leader.
 */
void
node_settle(node *n, uint64_t now)
{
	node_resolve_nicks(n);
	if (n->phase == PHASE_JOINING && join_complete(n, now) && !node_clock_refused(n))
		node_enter(n, PHASE_ANNOUNCED, now);
	if (!node_in_chat(n))
		return;
	const member *leader = member_leader(&n->members);
	if (leader->id != n->leader) {
		n->leader = leader->id;
		node_emit(n, EVENT_LEADER, leader->nick, NULL);
	}
}

void
node_set_inc(node *n, uint64_t inc)
{
	member_self(&n->members)->inc = inc;
	n->members.gen++; /* our claim changes with it */
	if (n->io.store_inc)
		n->io.store_inc(n->io.ctx, inc);
}

/* The first member list fixes our incarnation above everyone it names. */
void
node_end_probe(node *n, const wire_msg *members, uint64_t now)
{
	uint64_t inc = member_self(&n->members)->inc;

	for (size_t i = 0; i < members->u.members.count; i++)
		if (members->u.members.entry[i].inc >= inc)
			inc = members->u.members.entry[i].inc + 1;
	for (int i = 1; i < n->members.len; i++)
		if (n->members.v[i].inc >= inc)
			inc = n->members.v[i].inc + 1;
	node_set_inc(n, inc);
	node_enter(n, PHASE_JOINING, now);
}

