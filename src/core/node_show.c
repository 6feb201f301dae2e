/*
 * node_show — what of the history a node shows, and when: records that
 * became stable, in history order; the catch-up backlog as [HISTORY];
 * late arrivals (node_hist.c) as [LATE]; \history from the store.
 *
 * Stability: records stamped at or below the frontier, the least clock
 * among the members we wait for (live members, and departed ones until
 * their records are settled among the survivors).
 */
#include "node_int.h"

#include <stdint.h>

void
node_show_last(const node *n, uint64_t *hlc, uint64_t *sender)
{
	*hlc = n->history.hist.shown_hlc;
	*sender = n->history.hist.shown_sender;
}

void
node_show(node *n, const hist_rec *r, event_kind kind)
{
	event ev = {.kind = kind, .nick = r->nick, .text = r->text,
		    .text_len = r->len, .time = hlc_ms(r->hlc), .hlc = r->hlc,
		    .sender = r->sender, .late = kind == EVENT_LATE};

	if (r->sender == n->cfg.id && r->seq > n->show.own_shown)
		n->show.own_shown = r->seq;
	if (hist_is_mod(r->kind)) {
		if (kind != EVENT_HISTORY)
			node_mod_show(n, r, kind == EVENT_LATE);
		return;
	}
	if (hist_is_guest(r->kind)) {
		node_guest_show(n, r, kind, true);
		return;
	}
	node_line line;
	node_why why;
	if (!node_line_judge(n, r, &line, &why)) {
		/* held, never shown; a silenced member's lines are not news */
		if (!why.silenced)
			node_log(n, NODE_LOG_ALWAYS, "refusing record %llu of %016llx: %s",
				 (unsigned long long)r->seq, (unsigned long long)r->sender,
				 why.text);
		return;
	}
	ev.nick = line.nick;
	node_event(n, &ev);
}

/* Whether m's settlement after it went away is done. */
static bool
settled(node *n, const member *m, uint64_t now)
{
	const hist_author *a = hist_author_find(&n->history.hist, m->id);
	uint64_t held = a ? a->seq : 0;

	if (now >= m->gone_at + n->cfg.timeout_ms) {
		node_log(n, NODE_LOG_VERBOSE, "settling %s without everyone's word", m->nick);
		return true;
	}
	for (int i = 1; i < n->members.len; i++) {
		const member *r = &n->members.v[i];
		if (r == m || r->state != MEMBER_ALIVE)
			continue;
		const peer_vec *v = node_peer_vec(n, r->id);
		if (v == NULL)
			return false;
		for (int k = 0; k < v->count; k++)
			if (v->have[k].id == m->id && (v->have[k].live || v->have[k].seq > held))
				return false;
	}
	return true;
}

/* Whether records must wait for m's clock. */
static bool
waits_for(node *n, member *m, uint64_t now)
{
	if (m->state == MEMBER_ALIVE)
		return true;
	if ((m->state != MEMBER_LOST && m->state != MEMBER_LEFT) || m->flushed)
		return false;
	if (m->last_heard == 0) {
		m->flushed = true; /* never heard here: nothing to settle */
		return false;
	}
	if (m->gone_at == 0) {
		m->gone_at = now;
		n->show.vector_due = true;
	}
	if (settled(n, m, now))
		m->flushed = true;
	return !m->flushed;
}

/*
 * Records stamped at or below this are stable.  No member's clock counts
 * as further ahead than the bound (node_hist.c): a record stamped further
 * (a forged or a wrong clock's) is shown when its time comes, and holds
 * back only what sorts after it.
 */
static uint64_t
frontier(node *n, uint64_t now)
{
	uint64_t f = ((node_wall(n, now) + NODE_CLOCK_BOUND_MS) << HLC_SHIFT) | 0xffff;

	for (int i = 1; i < n->members.len; i++) {
		member *m = &n->members.v[i];
		if (!waits_for(n, m, now))
			continue;
		const hist_author *a = hist_author_find(&n->history.hist, m->id);
		uint64_t c = a ? a->clock : 0;
		if (c < f)
			f = c;
	}
	return f;
}

static void
mark(node *n)
{
	n->io.store_mark(n->io.ctx, n->history.hist.shown_hlc, n->history.hist.shown_sender);
}

static bool
caught_up(node *n)
{
	for (int i = 1; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (m->state == MEMBER_PENDING || (m->state == MEMBER_ALIVE && !m->vec_seen))
			return false;
	}
	for (int i = 0; i < n->history.hist.nauthors; i++)
		if (n->history.hist.authors[i].seq < n->history.hist.authors[i].sync_to &&
		    !n->history.hist.authors[i].refused)
			return false;
	return true;
}

/*
 * The first held record is passed over, not shown, while catching up --
 * unless this node typed it in this life: what one types is always shown.
 */
static bool
typed_here(const node *n, const hist_rec *r)
{
	return r->sender == n->cfg.id && r->seq > n->show.own_restored;
}

/*
 * Whether r was said since this node started: stamped past our wall clock
 * at the start, in the chat's time (when the first member's report showed
 * the chat's clocks ahead of ours, that much later; node_hist.c), and past
 * every record restored from the store.  Such a record is not part of the backlog
 * a (re)joining node shows only the end of: it was said while we were
 * coming in -- by a member that had not heard of us yet too -- so it is
 * shown like any line, never passed over.
 */
bool
node_since_start(const node *n, const hist_rec *r)
{
	return r->hlc > node_clock_since(n);
}

uint64_t
node_show_since(const node *n)
{
	return node_clock_since(n);
}

static void
pass_over(node *n)
{
	const hist_rec *r = hist_first(&n->history.hist);

	if (typed_here(n, r))
		node_show(n, r, EVENT_MESSAGE);
	else if (hist_is_guest(r->kind))
		node_guest_show(n, r, EVENT_HISTORY, false);
}

/*
 * Caught up: of the stable backlog, the last few records are shown as
 * [HISTORY], the rest passed over; stable records said since we joined,
 * and our own, are shown as they are.
 */
static void
show_backlog(node *n, uint64_t f)
{
	int stable = 0, backlog = 0;

	for (int i = 0; i < n->history.hist.nheap; i++) {
		const hist_rec *r = &n->history.hist.heap[i];
		stable += r->hlc <= f;
		backlog += r->hlc <= f && !node_since_start(n, r) && !typed_here(n, r);
	}
	for (; stable > 0; stable--) {
		const hist_rec *r = hist_first(&n->history.hist);
		if (typed_here(n, r) || node_since_start(n, r)) {
			node_show(n, r, EVENT_MESSAGE);
		} else if (backlog-- > NODE_SHOW_HISTORY) {
			pass_over(n);
		} else {
			node_show(n, r, EVENT_HISTORY);
		}
		hist_shown(&n->history.hist);
	}
	mark(n);
}

/* Still catching up: keep only the newest records for the backlog. */
static void
trim_backlog(node *n)
{
	if (n->history.hist.nheap <= NODE_SYNC_KEEP)
		return;
	while (n->history.hist.nheap > NODE_SYNC_KEEP) {
		pass_over(n);
		hist_shown(&n->history.hist);
	}
	mark(n);
}

static bool
sync_done(node *n, uint64_t now)
{
	if (node_caught_up(n))
		return true;
	if (!node_in_chat(n))
		return false;
	if (n->show.sync_deadline == 0)
		n->show.sync_deadline = now + 2ull * n->cfg.timeout_ms;
	if (!(node_may_send(n) && caught_up(n) && frontier(n, now) >= n->show.sync_hlc)) {
		if (now < n->show.sync_deadline) {
			trim_backlog(n);
			return false;
		}
		node_log(n, NODE_LOG_ALWAYS, "catching up stalled; showing messages as they come");
	}
	node_enter(n, n->phase == PHASE_READY ? PHASE_MEMBER : PHASE_CAUGHT_UP, now);
	return true;
}

void
node_show_backlog(node *n, uint64_t now)
{
	show_backlog(n, frontier(n, now));
}

void
node_show_stable(node *n, uint64_t now)
{
	const hist_rec *r;
	uint64_t f;
	bool any = false;

	if (!sync_done(n, now))
		return;
	f = frontier(n, now);
	while ((r = hist_first(&n->history.hist)) != NULL && r->hlc <= f) {
		/* Said before we started, and come only now: what we missed, not a live line. */
		node_show(n, r, typed_here(n, r) || node_since_start(n, r) ? EVENT_MESSAGE
									   : EVENT_HISTORY);
		hist_shown(&n->history.hist);
		any = true;
	}
	if (any)
		mark(n);
}

/* --- \history ---------------------------------------------------------------- */

typedef struct recent {
	node *n;
	int skip;   /* shown records to pass over first */
	int count;  /* shown records seen */
} recent;

static bool
recent_one(void *arg, const hist_rec *r)
{
	recent *c = arg;
	const hist *h = &c->n->history.hist;

	if (hist_cmp(r->hlc, r->sender, h->shown_hlc, h->shown_sender) > 0)
		return true; /* not shown yet */
	if (r->kind == HIST_GUEST_JOIN || r->kind == HIST_GUEST_PART || r->kind == HIST_ENDORSE)
		return true; /* not a message */
	if (c->count++ < c->skip)
		return true;
	if (r->kind == HIST_GUEST_CHAT)
		node_guest_history(c->n, r);
	else
		node_show(c->n, r, EVENT_HISTORY);
	return true;
}

void
node_hist_history(node *n, int count)
{
	recent c = {n, INT32_MAX, 0};
	int want = count + n->history.hist.nheap;

	n->io.store_recent(n->io.ctx, want, recent_one, &c); /* count them */
	c.skip = c.count > count ? c.count - count : 0;
	c.count = 0;
	n->io.store_recent(n->io.ctx, want, recent_one, &c);
}

void
node_show_restore(node *n)
{
	const hist_author *own = hist_author_find(&n->history.hist, n->cfg.id);

	n->show.own_shown = n->show.own_restored = own->seq;
	for (int i = 0; i < n->history.hist.nheap; i++) {
		const hist_rec *r = &n->history.hist.heap[i];
		if (r->sender == n->cfg.id && r->seq <= n->show.own_shown)
			n->show.own_shown = r->seq - 1;
	}
}

void
node_show_taken(node *n, uint64_t now, const hist_rec *r)
{
	/* Catching up is given more time while it makes progress. */
	if (!node_caught_up(n) && r->seq <= hist_author_find(&n->history.hist, r->sender)->sync_to)
		n->show.sync_deadline = now + 2ull * n->cfg.timeout_ms;
	if (!node_caught_up(n) && r->hlc > n->show.sync_hlc && node_clock_near(n, now, r->hlc))
		n->show.sync_hlc = r->hlc; /* (a record far ahead is shown when its time comes) */
}

uint64_t
node_show_own(const node *n)
{
	return n->show.own_shown;
}

bool
node_show_vector_due(node *n)
{
	bool due = n->show.vector_due;

	n->show.vector_due = false;
	return due;
}
