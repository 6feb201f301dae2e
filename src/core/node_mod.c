/*
 * node_mod — the leader's directives in the node: issuing them (leader
 * only), folding them into the moderation state as they are taken, what
 * they do when shown, and refusing removed members.  The state itself is
 * mod.c's.
 */
#include "node_int.h"

#include <stdio.h>
#include <string.h>

bool
node_is_silenced(const node *n, uint64_t id)
{
	return mod_silenced(&n->mod, id);
}

/* This node is removed: say by whom, and end with code 4. */
void
node_mod_removed(node *n, const char *by)
{
	node_emit(n, EVENT_REMOVED, by, NULL);
	node_finish(n, 4);
}

/* A directive record was taken: fold it in; a removal of us ends us. */
void
node_mod_taken(node *n, const hist_rec *r)
{
	mod_directive d;

	if (mod_apply(&n->mod, r, &d) == MOD_REMOVE && d.target == n->cfg.id)
		node_mod_removed(n, r->nick);
}

/*
 * A directive is shown: its [MOD] line; a member still removed by then is
 * cut off here too.
 */
void
node_mod_show(node *n, const hist_rec *r, bool late)
{
	mod_directive d;
	char line[3 * NICK_MAX + 32];

	const char *by = node_author_nick(n, r);

	if (by == NULL || !mod_decode(r->text, r->len, &d))
		return;
	snprintf(line, sizeof line, "%s was %s by %s", d.nick, mod_verb(d.op), by);
	event ev = {.kind = EVENT_MOD, .text = line, .hlc = r->hlc, .sender = r->sender,
		    .late = late};
	n->io.event(n->io.ctx, &ev);
	if (d.op == MOD_REMOVE && d.target == guest_id(d.nick) && mod_removed(&n->mod, d.target))
		node_guest_removed(n, d.nick, r->nick);
	member *m = member_find(&n->members, d.target);
	if (m && !m->self && mod_removed(&n->mod, d.target) && m->state != MEMBER_REJECTED) {
		m->state = MEMBER_REJECTED;
		node_depart(n, m, false);
		node_close_member(n, m);
	}
}

/* A HELLO from a removed member, or under a removed member's nick: refused. */
bool
node_mod_refuses(node *n, link *l, uint64_t id, const char *nick)
{
	const mod_target *t = mod_removed(&n->mod, id);
	wire_msg r = {.type = WIRE_REJECT};

	if (t == NULL)
		t = mod_removed_nick(&n->mod, nick);
	if (t == NULL)
		return false;
	node_log(n, NODE_LOG_ALWAYS, "refusing %s from %s: removed by %s", nick, l->host,
		 t->remover);
	r.u.reject.reason = WIRE_REMOVED;
	r.u.reject.nick = wire_cstr(t->remover);
	node_send(n, l->id, &r);
	node_close_link(n, l);
	return true;
}

static member *
live_by_nick(node *n, const char *nick)
{
	for (int i = 0; i < n->members.len; i++) {
		member *m = &n->members.v[i];
		if (member_live(m) && nick_same(m->nick, nick))
			return m;
	}
	return NULL;
}

/* !silence, !unsilence, !remove, !readmit NICK: the leader's, as a record. */
void
node_mod_command(node *n, uint64_t now, int op, const char *arg, size_t len)
{
	char s[160], nick[NICK_MAX + 1], text[64 + NICK_MAX];
	mod_directive d = {.op = op};

	if (!member_leader(&n->members)->self) {
		snprintf(s, sizeof s, "only the leader can %s", mod_command(op));
		node_emit(n, EVENT_ERROR, NULL, s);
		return;
	}
	snprintf(nick, sizeof nick, "%.*s", (int)(len > NICK_MAX ? NICK_MAX : len), arg);
	const member *m = len && len <= NICK_MAX ? live_by_nick(n, nick) : NULL;
	const mod_target *t = len && len <= NICK_MAX ? mod_removed_nick(&n->mod, nick) : NULL;
	const char *g = len && len <= NICK_MAX && m == NULL ? node_guest_named(n, nick) : NULL;
	if (g && op != MOD_READMIT) {
		d.target = guest_id(g);
		snprintf(d.nick, sizeof d.nick, "%s", g);
		node_submit_kind(n, now, HIST_DIRECTIVE, text, mod_encode(&d, text, sizeof text));
		return;
	}
	if (op == MOD_READMIT ? t == NULL : m == NULL) {
		snprintf(s, sizeof s, "no such user: %.*s", (int)(len > 64 ? 64 : len), arg);
		node_emit(n, EVENT_ERROR, NULL, s);
		return;
	}
	if ((op == MOD_SILENCE || op == MOD_REMOVE) && m->self) {
		snprintf(s, sizeof s, "the leader cannot %s itself", mod_command(op));
		node_emit(n, EVENT_ERROR, NULL, s);
		return;
	}
	d.target = op == MOD_READMIT ? t->id : m->id;
	snprintf(d.nick, sizeof d.nick, "%s", op == MOD_READMIT ? t->nick : m->nick);
	node_submit_kind(n, now, HIST_DIRECTIVE, text, mod_encode(&d, text, sizeof text));
}
