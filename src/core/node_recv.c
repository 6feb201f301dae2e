/*
 * node_recv — what the core does with each frame from a peer.
 *
 * Dispatch goes through a table: message type, handler (here, or the
 * module whose frame it is: node_hist, node_report), and whether the
 * link must already be bound to a member (its HELLO arrived).  Frames that
 * need a bound link and arrive before the HELLO close the link.
 */
#include "node_int.h"

#include <stdio.h>
#include <string.h>

typedef void handler(node *n, uint64_t now, peer_link *l, const wire_msg *m);

static bool
valid_nick(wire_str s)
{
	return nick_check(s.ptr, s.len) == NULL;
}

/*
 * Until the peer proves (PROVE) that it holds the key of the id its HELLO
 * names, the HELLO counts for nothing: it is kept, and taken when the
 * proof comes (on_prove).  Else anyone with the secret could say HELLO as
 * any member, and LEAVE, report or gossip for it.
 */
static void
hold_hello(peer_link *l, const wire_member *e)
{
	l->held = *e;
	snprintf(l->held_nick, sizeof l->held_nick, "%.*s", (int)e->nick.len, e->nick.ptr);
	snprintf(l->held_host, sizeof l->held_host, "%.*s", (int)e->host.len, e->host.ptr);
	l->held.nick = wire_cstr(l->held_nick);
	l->held.host = wire_cstr(l->held_host);
	l->hello_held = true;
}

/* A member's HELLO: it binds the link and makes the member alive. */
static void
on_hello(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	wire_member e = msg->u.hello;
	member *m;

	if (!valid_nick(e.nick) || e.id == 0) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link from %s: invalid hello", l->host);
		node_close_link(n, l);
		return;
	}
	if (e.id == n->cfg.id) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link to %s: it is this node", l->host);
		node_close_link(n, l);
		return;
	}
	if (!l->proven || e.id != l->proven_id) {
		hold_hello(l, &e);
		return;
	}
	char nick[NICK_MAX + 1];
	snprintf(nick, sizeof nick, "%.*s", (int)e.nick.len, e.nick.ptr);
	if (node_mod_refuses(n, l, e.id, nick) || node_guest_refuses(n, l, e.id, nick))
		return;
	if (l->peer && l->peer != e.id) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link from %s: identity changed", l->host);
		node_close_link(n, l);
		return;
	}
	if (e.host.len == 0)
		e.host = wire_cstr(l->host);
	e.status = WIRE_ACTIVE;
	member_state to;
	if (member_merge(&n->members, &e, &m, &to) == MEMBER_SAME && m->inc != e.inc) {
		node_close_link(n, l); /* a stale incarnation */
		return;
	}
	if (to != m->state)
		node_member_set(n, m, to, MEMBER_GOSSIP); /* a restart revives a tombstone */
	if (m->state == MEMBER_LEFT || m->state == MEMBER_REJECTED) {
		node_close_link(n, l);
		return;
	}
	node_link_bind(n, l, m, e.inc);
	node_report_pair(n, m, l->pk);
	/*
	 * Settle its nick claim before anyone sees it join.  Rejecting
	 * someone closes links, which may move ours: look it up again.
	 */
	uint32_t id = l->id;
	node_close_stale(n, m);
	node_resolve_nicks(n);
	if (n->phase == PHASE_DONE || m->state == MEMBER_REJECTED)
		return;
	node_member_heard(n, m, now);
	node_hist_bound(n, m);
	if ((l = node_link(n, id)) == NULL)
		return;
	if (l->greeted)
		node_send_heartbeat(n, now, l->id);
	else
		node_greet(n, l); /* the heartbeat follows our HELLO */
}

/* Gossip: merge every entry; the first list ends a joiner's probe. */
static void
on_members(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	(void)l;
	if (n->phase == PHASE_PROBE && !msg->u.members.more)
		node_end_probe(n, msg, now); /* the whole table is here: the pages before are merged */
	for (size_t i = 0; i < msg->u.members.count; i++) {
		const wire_member *e = &msg->u.members.entry[i];
		const member *self = member_self(&n->members); /* a merge may move the table */
		member *m;
		if (!valid_nick(e->nick) || e->id == 0)
			continue;
		if (e->id == self->id) {
			if (e->inc == self->inc && e->status == WIRE_REJECTED) {
				const mod_target *t = node_mod_removal(n, self->id);
				if (t)
					node_mod_removed(n, t->remover);
				else
					node_nick_taken(n);
				return;
			}
			continue;
		}
		member_state to;
		switch (member_merge(&n->members, e, &m, &to)) {
		case MEMBER_RESTARTED:
			if (to != m->state)
				node_member_set(n, m, to, MEMBER_GOSSIP);
			node_close_stale(n, m);
			/* fall through */
		case MEMBER_ADDED:
			/* A joiner dials at once; members leave the dialling to it. */
			m->next_try = now + (node_in_chat(n) ? n->cfg.heartbeat_ms : 0);
			break;
		case MEMBER_DEPARTED:
			node_member_set(n, m, to, MEMBER_GOSSIP);
			break;
		case MEMBER_SAME:
			break;
		}
	}
}

static void
on_heartbeat(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	member *m = member_find(&n->members, l->peer);

	if (msg->u.heartbeat.digest != node_digest(n))
		node_gossip(n, m, now);
	node_sync_on_heartbeat(n, now, l, msg);
}

static void
on_leave(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	member *m = member_find(&n->members, l->peer);

	(void)now;
	if (msg->u.leave.inc != m->inc || m->state == MEMBER_LEFT)
		return;
	node_member_set(n, m, MEMBER_LEFT, MEMBER_SAID_LEAVE);
}

/* The proof of the id a HELLO named: the HELLO now counts. */
static void
on_prove(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	uint64_t id = l->hello_held ? l->held.id : l->peer;

	if (id == 0) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link from %s: PROVE before hello", l->host);
		node_close_link(n, l);
		return;
	}
	if (!node_hist_on_prove(n, l, msg, id) || !l->hello_held)
		return;
	/* Copied out: on_hello may add links, and move the one holding them. */
	char nick[WIRE_MAX_NICK + 1], host[WIRE_MAX_HOST + 1];
	wire_msg hello = {.type = WIRE_HELLO};
	hello.u.hello = l->held;
	memcpy(nick, l->held_nick, sizeof nick);
	memcpy(host, l->held_host, sizeof host);
	hello.u.hello.nick = wire_cstr(nick);
	hello.u.hello.host = wire_cstr(host);
	l->hello_held = false;
	on_hello(n, now, l, &hello);
}

static void
on_pull(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	(void)now;
	node_sync_on_pull(n, l, msg);
}

static void
on_reject(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	(void)now;
	(void)l;
	if (msg->u.reject.reason == WIRE_NICK_TAKEN) {
		node_nick_taken(n);
	} else if (msg->u.reject.reason == WIRE_REMOVED) {
		char by[NICK_MAX + 1];
		snprintf(by, sizeof by, "%.*s", (int)msg->u.reject.nick.len,
			 msg->u.reject.nick.ptr);
		node_mod_removed(n, nick_check(by, strlen(by)) ? "the leader" : by);
	}
}

static const struct {
	handler *fn;
	bool bound;  /* needs the peer's HELLO first (which needs its proof) */
	bool proven; /* needs the peer's proof of its identity first */
} handlers[] = {
	[WIRE_HELLO] = {on_hello, false, false},
	[WIRE_MEMBERS] = {on_members, false, true},
	[WIRE_HEARTBEAT] = {on_heartbeat, true, true},
	[WIRE_LEAVE] = {on_leave, true, true},
	[WIRE_CHAT] = {node_hist_on_chat, true, true},
	[WIRE_REJECT] = {on_reject, false, true},
	[WIRE_STATUS] = {node_hist_on_status, true, true},
	[WIRE_PULL] = {on_pull, true, true},
	[WIRE_SIG] = {node_hist_on_sig, true, true},
	[WIRE_PROVE] = {on_prove, false, false},
	[WIRE_REPORT] = {node_report_on_report, true, true},
	[WIRE_RELAY] = {node_report_on_relay, true, true},
};

void
node_dispatch(node *n, uint64_t now, peer_link *l, const wire_msg *m)
{
	/* wire_decode only yields known types */
	if ((handlers[m->type].bound && l->peer == 0) ||
	    (handlers[m->type].proven && !l->proven)) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link from %s: %s before %s", l->host,
			 wire_type_name(m->type), handlers[m->type].bound ? "hello" : "its proof");
		node_close_link(n, l);
		return;
	}
	if (l->peer) {
		member *p = member_find(&n->members, l->peer);
		if (l->inc != p->inc) {
			node_close_link(n, l); /* an earlier incarnation's */
			return;
		}
		if (p->state == MEMBER_REJECTED || p->state == MEMBER_LEFT)
			return;
		node_member_heard(n, p, now);
	}
	handlers[m->type].fn(n, now, l, m);
}
