/*
 * node_mod — the leader's directives in the node: issuing them (leader
 * only), folding them into the moderation state as they are taken, what
 * they do when shown, and refusing removed members.  The state itself is
 * mod.c's.
 */
#include "node_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

bool
node_mod_silenced(const node *n, uint64_t id)
{
	return mod_silenced(&n->mod.state, id);
}

bool
node_mod_silenced_at(const node *n, uint64_t id, const hist_rec *r)
{
	return mod_silenced_at(&n->mod.state, id, r->hlc, r->sender);
}

/* This node is removed: say by whom, and end with code 4. */
void
node_mod_removed(node *n, const char *by)
{
	node_emit(n, EVENT_REMOVED, by, NULL);
	node_finish(n, CHORUS_EXIT_REMOVED);
}

/*
 * Whether a directive or endorsement r is its author's own: its nick is the
 * one the author's first record bound (hist.h).  The same on every node
 * holding the author's records, so the fold takes the same records in.
 */
bool
node_mod_bound(node *n, const hist_rec *r)
{
	const hist_author *a = node_hist_author(n, r->sender);

	if (a && nick_same(a->nick, r->nick))
		return true;
	node_log(n, NODE_LOG_ALWAYS, "ignoring a directive of %016llx under nick %s",
		 (unsigned long long)r->sender, r->nick);
	return false;
}

/*
 * The members this node counts in the chat, ascending: itself and every
 * member heard of that is alive or lost (not one that left, was rejected,
 * or is only remembered from an earlier life).
 */
static int
voters(const node *n, uint64_t *ids)
{
	int k = 0;

	for (int i = 0; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (m->self || (m->inc && (m->state == MEMBER_ALIVE || m->state == MEMBER_LOST)))
			ids[k++] = m->id;
	}
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint64_t t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return k;
}

/* Why we will not stand behind d of r, or NULL when we will. */
static const char *
no_endorsement(node *n, const hist_rec *r, const mod_directive *d)
{
	uint64_t mine[MOD_MAX_VOTERS];
	int k = voters(n, mine);

	if (member_leader(&n->members)->id != r->sender)
		return "its author is not the leader here";
	for (int i = 0; i < k; i++)
		if (!mod_is_voter(d, mine[i]))
			return "its voters leave out a member";
	for (int i = 0; i < d->nvoters; i++)
		if (member_find(&n->members, d->voters[i]) == NULL)
			return "its voters name a stranger";
	return NULL;
}

/* A directive taken live: endorse it if its author leads here. */
static void
consider(node *n, const hist_rec *r, const mod_directive *d)
{
	const char *why;

	if (r->sender == n->cfg.id || !node_caught_up(n) || !mod_is_voter(d, n->cfg.id))
		return; /* ours; or from before we caught up; or not ours to judge */
	if ((why = no_endorsement(n, r, d)) != NULL) {
		node_log(n, NODE_LOG_ALWAYS, "not endorsing %s's directive to %s %s: %s", r->nick,
			 mod_command(d->op), d->nick, why);
		return;
	}
	if (n->mod.nendorse == NODE_MAX_ENDORSE)
		return;
	n->mod.endorse[n->mod.nendorse].author = r->sender;
	n->mod.endorse[n->mod.nendorse++].seq = r->seq;
}

/* A directive or endorsement was taken: fold it in; our removal ends us. */
void
node_mod_taken(node *n, const hist_rec *r)
{
	mod_directive d;
	char by[NICK_MAX + 1];

	if (!node_mod_bound(n, r))
		return;
	int op = mod_apply(&n->mod.state, r, &d, by);
	if (op < 0)
		return;
	if (r->kind == HIST_DIRECTIVE)
		consider(n, r, &d);
	if (op == MOD_REMOVE && d.target == n->cfg.id && mod_removed(&n->mod.state, n->cfg.id))
		snprintf(n->mod.removed_by, sizeof n->mod.removed_by, "%s", by);
}

/* The end of a batch: write our endorsements; then end if we are removed. */
void
node_mod_flush(node *n, uint64_t now)
{
	char text[64];

	for (int i = 0; i < n->mod.nendorse; i++)
		node_submit_kind(n, now, HIST_ENDORSE, text,
				 mod_endorse_encode(n->mod.endorse[i].author, n->mod.endorse[i].seq, text,
						    sizeof text));
	n->mod.nendorse = 0;
	if (n->mod.removed_by[0]) {
		node_sign_own(n);
		node_mod_removed(n, n->mod.removed_by);
	}
}

/*
 * A directive or endorsement is shown: when it is the record at which its
 * directive came to count, the [MOD] line; a member removed by then is cut
 * off here too.
 */
void
node_mod_show(node *n, const hist_rec *r, bool late)
{
	mod_directive d;
	char line[3 * NICK_MAX + 32], by[NICK_MAX + 1];

	if (!mod_tipped(&n->mod.state, r, &d, by))
		return;
	snprintf(line, sizeof line, "%s was %s by %s", d.nick, mod_verb(d.op), by);
	event ev = {.kind = EVENT_MOD, .text = line, .hlc = r->hlc, .sender = r->sender,
		    .late = late};
	node_event(n, &ev);
	if (d.op == MOD_REMOVE && d.target == guest_id(d.nick) && mod_removed(&n->mod.state, d.target))
		node_guest_removed(n, d.nick, by);
	member *m = member_find(&n->members, d.target);
	if (m && !m->self && mod_removed(&n->mod.state, d.target) && m->state != MEMBER_REJECTED)
		node_member_set(n, m, MEMBER_REJECTED, MEMBER_REMOVED);
}

/* A HELLO from a removed member, or under a removed member's nick: refused. */
bool
node_mod_refuses(node *n, peer_link *l, uint64_t id, const char *nick)
{
	const mod_target *t = mod_removed(&n->mod.state, id);
	wire_msg r = {.type = WIRE_REJECT};

	if (t == NULL)
		t = mod_removed_nick(&n->mod.state, nick);
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
	char s[160];

	if (!member_leader(&n->members)->self) {
		snprintf(s, sizeof s, "only the leader can %s", mod_command(op));
		node_emit(n, EVENT_ERROR, NULL, s);
		return;
	}
	node_mod_issue(n, now, op, arg, len);
}

/* The directive op on the member or guest named arg, as a record. */
void
node_mod_issue(node *n, uint64_t now, int op, const char *arg, size_t len)
{
	char s[160], nick[NICK_MAX + 1], text[64 + NICK_MAX + 17 * MOD_MAX_VOTERS];
	mod_directive d = {.op = op};

	d.nvoters = voters(n, d.voters);
	snprintf(nick, sizeof nick, "%.*s", (int)(len > NICK_MAX ? NICK_MAX : len), arg);
	const member *m = len && len <= NICK_MAX ? live_by_nick(n, nick) : NULL;
	const mod_target *t = len && len <= NICK_MAX ? mod_removed_nick(&n->mod.state, nick) : NULL;
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

void
node_mod_restore(node *n, const hist_rec *r)
{
	if (hist_is_mod(r->kind) && node_mod_bound(n, r))
		mod_apply(&n->mod.state, r, NULL, NULL);
}

void
node_mod_free(node *n)
{
	mod_free(&n->mod.state);
}

const mod_target *
node_mod_removal(const node *n, uint64_t id)
{
	return mod_removed(&n->mod.state, id);
}

const mod_target *
node_mod_removal_of_nick(const node *n, const char *nick)
{
	return mod_removed_nick(&n->mod.state, nick);
}

int
node_mod_silenced_count(const node *n)
{
	return mod_count_silenced(&n->mod.state);
}

void
node_mod_assert(const node *n)
{
	assert(n->mod.nendorse >= 0 && n->mod.nendorse <= NODE_MAX_ENDORSE);
	(void)n;
}
