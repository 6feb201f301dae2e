/*
 * node_member — the members' state machine in the node (member.h draws
 * it).  Every change of a member's state goes through node_member_set(),
 * which checks that the change is one of the diagram's, makes it, and
 * carries out what goes with it, in one place:
 *
 *   to ALIVE     its reconnect backoff and its settlement (gone_at,
 *                flushed) start again; the store remembers where it was
 *                reached; once we are in the chat, [JOIN] (never shown
 *                yet) or [BACK] (it was LOST)
 *   to LOST      [LOST] once we are in the chat (after a log line when it
 *                was silence); its settlement starts lazily, when the
 *                frontier next waits for it (node_show.c)
 *   to LEFT      [LEAVE] when it was shown and was ALIVE or LOST
 *   to REJECTED  not shown any more; its links here are closed, after a
 *                REJECT telling it why -- unless a directive removed it
 *                (its own node learns that from the history)
 *   to PENDING   (a restart revives a tombstone) nothing
 *
 * The causes (member_why) are the events of the machine: what was heard,
 * timers, gossip, the nick rule, a directive.  Also here: hearing from a
 * member, failure detection, gossip to one member, and the nick rule.
 */
#include "node_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Tell the store where m was reached, for a restart without --join. */
static void
remember(node *n, const member *m)
{
	node_peer p = {.id = m->id, .port = m->port};

	if (m->host[0] == '\0' || m->port == 0)
		return;
	snprintf(p.nick, sizeof p.nick, "%s", m->nick);
	snprintf(p.host, sizeof p.host, "%s", m->host);
	n->io.store_peer(n->io.ctx, &p);
}

/* Whether why may take a member from one state to another (member.h). */
static bool
legal(member_state from, member_state to, member_why why)
{
	bool live = !member_tombstone(from);

	switch (why) {
	case MEMBER_HEARD:
		return to == MEMBER_ALIVE && (from == MEMBER_PENDING || from == MEMBER_LOST);
	case MEMBER_SILENT:
	case MEMBER_UNLINKED:
		return to == MEMBER_LOST && from == MEMBER_ALIVE;
	case MEMBER_SAID_LEAVE:
		return to == MEMBER_LEFT && live;
	case MEMBER_GOSSIP:
		/* a tombstone, or a restart; a higher incarnation may depart again */
		return member_tombstone(to) || (to == MEMBER_PENDING && !live);
	case MEMBER_NICK_RULE:
		return to == MEMBER_REJECTED && live;
	case MEMBER_REMOVED:
		return to == MEMBER_REJECTED && from != MEMBER_REJECTED;
	}
	return false;
}

/*
 * m is REJECTED: tell it so on its links here, whoever decided it -- a
 * verdict heard by gossip must reach a loser that only we are linked to
 * -- and close them.
 */
static void
cut_off(node *n, member *m)
{
	wire_msg r = {.type = WIRE_REJECT};
	const mod_target *t = node_mod_removal(n, m->id);

	r.u.reject.reason = t ? WIRE_REMOVED : WIRE_NICK_TAKEN;
	r.u.reject.nick = wire_cstr(t ? t->remover : m->nick);
	if (m->nlinks > 0)
		node_send_to(n, m, &r);
	node_close_member(n, m);
}

void
node_member_set(node *n, member *m, member_state to, member_why why)
{
	member_state from = m->state;

	assert(!m->self);
	assert(legal(from, to, why));
	if (why == MEMBER_NICK_RULE)
		node_log(n, NODE_LOG_VERBOSE, "nick \"%s\" of %016llx loses its claim", m->nick,
			 (unsigned long long)m->id);
	m->state = to;
	n->members.gen++;
	switch (to) {
	case MEMBER_ALIVE:
		m->backoff = NODE_BACKOFF_MIN;
		m->gone_at = 0;
		m->flushed = false;
		remember(n, m);
		if (!node_in_chat(n))
			break;
		if (!m->shown) {
			m->shown = true;
			node_emit(n, EVENT_JOIN, m->nick, NULL);
		} else if (from == MEMBER_LOST) {
			node_emit(n, EVENT_BACK, m->nick, NULL);
		}
		break;
	case MEMBER_LOST:
		if (why == MEMBER_SILENT)
			node_log(n, NODE_LOG_VERBOSE, "%s silent for %llu ms", m->nick,
				 (unsigned long long)(n->last_tick - m->last_heard));
		if (node_in_chat(n))
			node_emit(n, EVENT_LOST, m->nick, NULL);
		break;
	case MEMBER_LEFT:
		if (m->shown && node_in_chat(n) && (from == MEMBER_ALIVE || from == MEMBER_LOST))
			node_emit(n, EVENT_LEAVE, m->nick, NULL);
		m->shown = false;
		break;
	case MEMBER_REJECTED:
		m->shown = false;
		if (why == MEMBER_REMOVED)
			node_close_member(n, m);
		else
			cut_off(n, m);
		break;
	case MEMBER_PENDING:
		break;
	}
}

void
node_member_heard(node *n, member *m, uint64_t now)
{
	m->last_heard = now;
	if (m->state == MEMBER_PENDING || m->state == MEMBER_LOST)
		node_member_set(n, m, MEMBER_ALIVE, MEMBER_HEARD);
}

/*
 * Members remembered from an earlier life are known, not yet heard: dial
 * them.  Incarnation 0 makes way for whatever they say when they answer.
 */
void
node_member_recall(node *n, const node_config *cfg, uint64_t now)
{
	for (int i = 0; i < cfg->npeers && !node_link_has_seeds(n); i++) {
		const node_peer *p = &cfg->peers[i];
		wire_member e = {.id = p->id, .nick = wire_cstr(p->nick),
				 .host = wire_cstr(p->host), .port = p->port};
		member *m;
		member_state to;
		if (p->id == cfg->id || p->id == 0 || nick_check(p->nick, strlen(p->nick)))
			continue;
		if (member_merge(&n->members, &e, &m, &to) == MEMBER_ADDED)
			m->next_try = now;
	}
}

/*
 * Failure detection.  A member silent for timeout-ms is lost (longer, in a
 * large chat, for a member heartbeat at the slow rate: node_beat.c).  One
 * silent for three such limits while its link is still open gets it closed, so
 * that a healed partition is found by a fresh connect rather than by TCP's
 * slow retransmission backoff.  now is n->last_tick (node_tick); a tick
 * that came late allows as much more (tick_late, node.c).
 */
void
node_member_detect(node *n, uint64_t now)
{
	for (int i = 1; i < n->members.len; i++) {
		member *m = &n->members.v[i];
		uint64_t silent = now - m->last_heard;
		uint64_t limit = node_beat_limit(n, m) + n->tick_late;
		if (m->state == MEMBER_ALIVE && silent > limit)
			node_member_set(n, m, MEMBER_LOST, MEMBER_SILENT);
		if (m->state == MEMBER_LOST && m->nlinks > 0 && silent > 3 * limit)
			node_close_member(n, m);
	}
}

void
node_gossip(node *n, member *m, uint64_t now)
{
	if (now - m->gossip_at < n->cfg.heartbeat_ms && m->gossip_at != 0)
		return;
	m->gossip_at = now;
	peer_link *l = node_link_to(n, m->id);
	if (l)
		node_send_members(n, l->id);
}

void
node_send_members(node *n, uint32_t link)
{
	int from = 0;

	do {
		member_gossip(&n->members, n->gossip, &from);
		node_send(n, link, n->gossip);
	} while (n->gossip->u.members.more);
}

/* This node lost a nick claim: say so (SPEC 2) and end with code 3. */
void
node_nick_taken(node *n)
{
	node_log(n, NODE_LOG_ALWAYS, "nick \"%s\" is taken", n->nick);
	node_finish(n, CHORUS_EXIT_NICK_TAKEN);
}

/* Apply the nick-claim rule until no clash is left. */
void
node_resolve_nicks(node *n)
{
	member *loser;

	if (n->phase == PHASE_PROBE)
		return; /* our incarnation is not final yet */
	if (n->nicks_gen == n->members.gen + 1)
		return; /* no claim changed since */
	while ((loser = member_nick_loser(&n->members)) != NULL) {
		if (loser->self) {
			node_nick_taken(n);
			return;
		}
		node_member_set(n, loser, MEMBER_REJECTED, MEMBER_NICK_RULE);
	}
	n->nicks_gen = n->members.gen + 1;
}
