/*
 * node_guest — guests (the IRC gateway's users, guest.h) in the node core:
 * attaching and detaching them here, writing their lines, the clash and
 * takeover rules as their records are taken, and their [JOIN], [LEAVE],
 * [LOST] and [BACK] lines as their records are shown.
 *
 * Two tables: `held` folds every guest record as it is taken (what the
 * rules decide on), `shown` folds them as they are shown (what the user
 * sees, \list_users, the gateway's NAMES).
 */
#include "node_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The index of the guest attached here under nick, or -1. */
static int
attached_at(const node *n, const char *nick)
{
	for (int i = 0; i < n->guests.nattached; i++)
		if (nick_same(n->guests.attached[i], nick))
			return i;
	return -1;
}

static bool
local(const node *n, const char *nick)
{
	return attached_at(n, nick) >= 0;
}

static void
attach(node *n, const char *nick)
{
	node_guests *g = &n->guests;

	if (g->nattached == g->capattached) {
		g->capattached = g->capattached ? 2 * g->capattached : 8;
		g->attached = xrealloc(g->attached, (size_t)g->capattached * sizeof *g->attached);
	}
	snprintf(g->attached[g->nattached++], NICK_MAX + 1, "%s", nick);
}

static void
detach(node *n, const char *nick)
{
	int i = attached_at(n, nick);

	if (i < 0)
		return;
	memmove(n->guests.attached[i], n->guests.attached[n->guests.nattached - 1], NICK_MAX + 1);
	n->guests.nattached--;
}

/*
 * Whether session g can still be in use: its node is reachable from here
 * and still in the life that opened it (a node restarted since lost its
 * connections; it parts them, but that record may not be here yet).
 */
static bool
session_live(const node *n, const guest *g)
{
	const member *m = member_find((member_table *)&n->members, g->host);

	return m && member_live(m) && g->inc >= m->inc;
}

void
node_guest_free(node *n)
{
	guest_table_free(&n->guests.held);
	guest_table_free(&n->guests.shown);
	free(n->guests.attached);
	free(n->guests.seen);
}

static void
write_join(node *n, uint64_t now, const char *nick, uint64_t prev)
{
	char text[40];
	size_t len = guest_join_text(prev, member_self(&n->members)->inc, text, sizeof text);

	node_submit_as(n, now, HIST_GUEST_JOIN, nick, text, len);
}

int
node_guest_may_join(node *n, const char *nick)
{
	const guest *g;

	if (!node_in_chat(n))
		return NODE_GUEST_NOT_READY;
	if (nick_check(nick, strlen(nick)))
		return NODE_GUEST_BAD_NICK;
	if (node_mod_removal(n, guest_id(nick)) || node_mod_removal_of_nick(n, nick))
		return NODE_GUEST_REMOVED;
	if (local(n, nick) || node_has_nick(n, nick))
		return NODE_GUEST_IN_USE;
	g = guest_other(&n->guests.held, nick, n->cfg.id);
	if (g && session_live(n, g))
		return NODE_GUEST_IN_USE;
	return NODE_GUEST_OK;
}

int
node_guest_do_join(node *n, uint64_t now, const char *nick, uint64_t *since)
{
	int rc = node_guest_may_join(n, nick);
	const guest *g;

	*since = 0;
	if (rc != NODE_GUEST_OK)
		return rc;
	g = guest_other(&n->guests.held, nick, n->cfg.id);
	for (int i = 0; i < n->guests.held.n && g == NULL; i++) {
		const guest *s = &n->guests.held.v[i];
		if (!s->active && s->part_hlc > *since &&
		    nick_same(s->nick, nick))
			*since = s->part_hlc;
	}
	if (g)
		*since = g->hlc;
	attach(n, nick);
	write_join(n, now, nick, g ? g->host : 0);
	return NODE_GUEST_OK;
}

int
node_guest_do_say(node *n, uint64_t now, const char *nick, const char *tag, size_t tag_len,
		  const char *line, size_t len)
{
	char text[GUEST_TAG_MAX + 2 + WIRE_MAX_TEXT];
	int o;

	if (!local(n, nick))
		return NODE_GUEST_NOT_READY;
	if (node_is_silenced(n, guest_id(nick)))
		return NODE_GUEST_SILENCED;
	if (len > WIRE_MAX_TEXT - GUEST_TAG_MAX - 1)
		return NODE_GUEST_TOO_LONG;
	if (!utf8_valid(line, len))
		return NODE_GUEST_BAD_TEXT;
	if (tag_len && !guest_tag_ok(tag, tag_len))
		tag_len = 0;
	o = tag_len ? snprintf(text, sizeof text, "%.*s ", (int)tag_len, tag)
		    : snprintf(text, sizeof text, "- ");
	memcpy(text + o, line, len);
	node_submit_as(n, now, HIST_GUEST_CHAT, nick, text, (size_t)o + len);
	return NODE_GUEST_OK;
}

void
node_guest_do_part(node *n, uint64_t now, const char *nick, const char *why)
{
	if (!local(n, nick))
		return;
	detach(n, nick);
	node_submit_as(n, now, HIST_GUEST_PART, nick, why, strlen(why));
}

/* Before this node leaves: every guest here goes with it. */
void
node_guest_part_all(node *n, uint64_t now)
{
	while (n->guests.nattached > 0) {
		char nick[NICK_MAX + 1];
		snprintf(nick, sizeof nick, "%s", n->guests.attached[0]);
		node_guest_do_part(n, now, nick, "node left");
	}
}

/*
 * After a restart: sessions this node held in its last life ended with
 * it (their connections died with the process).
 */
void
node_guest_restored(node *n, uint64_t now)
{
	for (int i = 0; i < n->guests.held.n; i++) {
		guest *g = &n->guests.held.v[i];
		if (g->host == n->cfg.id && g->active)
			node_submit_as(n, now, HIST_GUEST_PART, g->nick, "node restarted",
				       strlen("node restarted"));
	}
}

/* A guest record read back from the store at start (mark: shown then). */
void
node_guest_restore(node *n, const hist_rec *r, bool shown)
{
	guest *displaced;

	for (int pass = 0; pass < 1 + shown; pass++) {
		guest_table *t = pass ? &n->guests.shown : &n->guests.held;
		if (r->kind == HIST_GUEST_JOIN)
			guest_join(t, r, &displaced);
		else
			guest_part(t, r);
	}
}

/* A free guest nick for a session that lost its nick. */
static void
guest_nick(node *n, const char *nick, uint64_t salt, char *out, size_t cap)
{
	uint64_t h = guest_id(nick) ^ salt;

	for (int k = 0;; k++, h = h * 6364136223846793005ull + 1442695040888963407ull) {
		snprintf(out, cap, "Guest%05u", (unsigned)(h >> 40) % 100000u);
		if (!local(n, out) && !node_has_nick(n, out) && !guest_other(&n->guests.held, out, 0))
			return;
	}
}

/* The client here under nick lost it: it goes on under a guest nick. */
static void
rename_local(node *n, uint64_t now, uint64_t salt, const char *nick)
{
	char fresh[NICK_MAX + 1];

	guest_nick(n, nick, salt, fresh, sizeof fresh);
	node_log(n, NODE_LOG_ALWAYS, "guest \"%s\" is known elsewhere; renamed %s", nick, fresh);
	node_guest_do_part(n, now, nick, "nick clash");
	attach(n, fresh);
	write_join(n, now, fresh, 0);
	if (n->io.guest)
		n->io.guest(n->io.ctx, NODE_GUEST_RENAMED, nick, fresh);
}

/*
 * A guest record was taken (ours included): fold it into `held`; a
 * session of ours that now yields to another is renamed.
 */
void
node_guest_taken(node *n, uint64_t now, const hist_rec *r)
{
	guest *displaced, *g, *mine;
	char nick[NICK_MAX + 1];

	if (r->kind == HIST_GUEST_PART) {
		guest_part(&n->guests.held, r);
		return;
	}
	if (r->kind != HIST_GUEST_JOIN)
		return;
	g = guest_join(&n->guests.held, r, &displaced);
	if (displaced && displaced->host == n->cfg.id && local(n, displaced->nick)) {
		snprintf(nick, sizeof nick, "%s", displaced->nick);
		rename_local(n, now, r->hlc, nick);
		return;
	}
	mine = guest_find(&n->guests.held, n->cfg.id, g->nick);
	/* A session already taken over (its takeover came first) clashes with none. */
	if (g->active && g->host != n->cfg.id && mine && mine->active && local(n, mine->nick) &&
	    guest_yields(mine, g)) {
		snprintf(nick, sizeof nick, "%s", mine->nick); /* our spelling */
		rename_local(n, now, r->hlc, nick);
	}
}

/* --- what is shown --------------------------------------------------------- */

/* Whether any active shown session of nick is not marked lost. */
static bool
any_up(const node *n, const char *nick)
{
	for (int i = 0; i < n->guests.shown.n; i++) {
		const guest *g = &n->guests.shown.v[i];
		if (g->active && !g->lost && nick_same(g->nick, nick))
			return true;
	}
	return false;
}

static void
show_chat(node *n, const hist_rec *r, event_kind kind)
{
	node_line line;
	node_why why;

	if (!node_line_judge(n, r, &line, &why)) {
		if (!why.silenced)
			node_log(n, NODE_LOG_ALWAYS, "refusing a guest line of %016llx under %s: %s",
				 (unsigned long long)r->sender, r->nick, why.text);
		return;
	}
	if (n->guests.seen == NULL)
		n->guests.seen = xcalloc(1, sizeof *n->guests.seen);
	if (line.tag_len && !guest_seen_add(n->guests.seen, r->nick, line.tag, line.tag_len))
		return; /* a line resent after a failover, shown already */
	event ev = {.kind = kind, .nick = line.nick, .text = line.text, .text_len = line.len,
		    .time = hlc_ms(r->hlc), .hlc = r->hlc, .sender = r->sender,
		    .late = kind == EVENT_LATE};
	node_event(n, &ev);
}

/*
 * A guest record is shown (kind: MESSAGE, LATE or HISTORY) or passed over
 * while catching up (print false): fold it into `shown`, with its line.
 */
void
node_guest_show(node *n, const hist_rec *r, event_kind kind, bool print)
{
	guest *displaced, *g;
	bool was;

	if (r->kind == HIST_GUEST_CHAT) {
		if (print)
			show_chat(n, r, kind);
		return;
	}
	print = print && kind != EVENT_HISTORY && node_in_chat(n);
	was = guest_other(&n->guests.shown, r->nick, 0) != NULL;
	if (r->kind == HIST_GUEST_PART) {
		if (guest_part(&n->guests.shown, r) && was && !guest_other(&n->guests.shown, r->nick, 0) && print)
			node_emit(n, EVENT_LEAVE, r->nick, NULL);
		return;
	}
	bool up = any_up(n, r->nick);
	g = guest_join(&n->guests.shown, r, &displaced);
	g->lost = !session_live(n, g);
	/* Shown late, a join may end a session and itself be over already. */
	bool is = guest_other(&n->guests.shown, g->nick, 0) != NULL;
	if (print && !was && is)
		node_emit(n, EVENT_JOIN, g->nick, NULL);
	else if (print && was && !is)
		node_emit(n, EVENT_LEAVE, g->nick, NULL);
	else if (print && !up && any_up(n, g->nick))
		node_emit(n, EVENT_BACK, g->nick, NULL);
}

/* A guest's line for \history. */
void
node_guest_history(node *n, const hist_rec *r)
{
	node_line line;

	if (!node_line_of(n, r, &line))
		return;
	event ev = {.kind = EVENT_HISTORY, .nick = line.nick, .text = line.text,
		    .text_len = line.len, .time = hlc_ms(r->hlc), .hlc = r->hlc,
		    .sender = r->sender};
	node_event(n, &ev);
}

/*
 * A HELLO from a node we never knew, under the nick of an IRC user who is
 * online: refused as a taken nick (SPEC 2: one namespace, and a newcomer
 * cannot take an online user's nick; it exits with code 3).  A member we
 * know keeps its own nick when it comes back: the user yields
 * (node_guest_hosts).
 */
bool
node_guest_refuses(node *n, peer_link *l, uint64_t id, const char *nick)
{
	wire_msg r = {.type = WIRE_REJECT};

	if (member_find(&n->members, id) != NULL || !(local(n, nick) || any_up(n, nick)))
		return false;
	node_log(n, NODE_LOG_ALWAYS, "refusing %s from %s: an IRC user is online under that nick",
		 nick, l->host);
	r.u.reject.reason = WIRE_NICK_TAKEN;
	node_send(n, l->id, &r);
	node_close_link(n, l);
	return true;
}

/*
 * Hosts come and go: a guest whose every session is on an unreachable
 * host is [LOST]; [BACK] when one is reachable again.  And a guest here
 * whose nick a node now holds is renamed: a node's nick is its own.
 */
void
node_guest_hosts(node *n, uint64_t now)
{
	if (!node_in_chat(n))
		return;
	/* A node took the nick of a guest here (it joined meanwhile): nodes keep theirs. */
	for (int i = 0; i < n->guests.nattached; i++)
		if (node_has_nick(n, n->guests.attached[i])) {
			char nick[NICK_MAX + 1];
			snprintf(nick, sizeof nick, "%s", n->guests.attached[i]);
			rename_local(n, now, node_clock_latest(n), nick);
			i = -1; /* the list changed */
		}
	for (int i = 0; i < n->guests.shown.n; i++) {
		guest *g = &n->guests.shown.v[i];
		if (!g->active || g->lost == !session_live(n, g))
			continue;
		bool before = any_up(n, g->nick);
		g->lost = !g->lost;
		bool after = any_up(n, g->nick);
		if (before && !after)
			node_emit(n, EVENT_LOST, g->nick, NULL);
		else if (!before && after)
			node_emit(n, EVENT_BACK, g->nick, NULL);
	}
}

/* --- for \list_users, moderation and the gateway ------------------------------ */

/* Whether shown session i is the first listed of its nick. */
static bool
listed_first(const node *n, int i)
{
	const guest *g = &n->guests.shown.v[i];

	if (!g->active || !session_live(n, g))
		return false;
	for (int k = 0; k < n->guests.shown.n; k++) {
		const guest *o = &n->guests.shown.v[k];
		if (k != i && o->active && session_live(n, o) &&
		    nick_same(o->nick, g->nick) &&
		    hist_cmp(o->hlc, o->host, g->hlc, g->host) < 0)
			return false;
	}
	return true;
}

/*
 * The guests shown, in the order their sessions began (history order, the
 * same on every node), then those attached here whose join is not shown yet.
 */
void
node_each_guest(const node *n, node_user_fn *fn, void *arg)
{
	uint64_t last_hlc = 0, last_host = 0;

	for (;;) {
		int next = -1;
		for (int i = 0; i < n->guests.shown.n; i++) {
			const guest *g = &n->guests.shown.v[i];
			if (hist_cmp(g->hlc, g->host, last_hlc, last_host) > 0 && listed_first(n, i) &&
			    (next < 0 || hist_cmp(g->hlc, g->host, n->guests.shown.v[next].hlc,
						  n->guests.shown.v[next].host) < 0))
				next = i;
		}
		if (next < 0)
			break;
		const guest *g = &n->guests.shown.v[next];
		fn(arg, g->nick, false, node_is_silenced(n, guest_id(g->nick)), true);
		last_hlc = g->hlc;
		last_host = g->host;
	}
	for (int i = 0; i < n->guests.nattached; i++)
		if (guest_other((guest_table *)&n->guests.shown, n->guests.attached[i], 0) == NULL)
			fn(arg, n->guests.attached[i], false,
			   node_is_silenced(n, guest_id(n->guests.attached[i])), true);
}

/* The guest with this nick (any case), for a directive; or NULL. */
const char *
node_guest_named(node *n, const char *nick)
{
	/* Shown here, or held: a user just attached whose join is not shown yet. */
	const guest *g = guest_other(&n->guests.shown, nick, 0);

	if (g == NULL)
		g = guest_other(&n->guests.held, nick, 0);

	return g ? g->nick : NULL;
}

/* A guest of ours was removed: it is cut off here. */
void
node_guest_removed(node *n, const char *nick, const char *by)
{
	if (!local(n, nick))
		return;
	node_guest_do_part(n, n->last_tick, nick, "removed");
	if (n->io.guest)
		n->io.guest(n->io.ctx, NODE_GUEST_KICKED, nick, by);
}

const guest *
node_guest_hosted(node *n, uint64_t host, const char *nick)
{
	return guest_find(&n->guests.held, host, nick);
}

void
node_guest_assert(const node *n, bool deep)
{
	const node_guests *g = &n->guests;

	assert(g->nattached >= 0 && g->nattached <= g->capattached);
	/* Every attached nick is valid: O(guests) string checks, deep only. */
	for (int i = 0; deep && i < g->nattached; i++)
		assert(nick_check(g->attached[i], strlen(g->attached[i])) == NULL);
	(void)g;
}
