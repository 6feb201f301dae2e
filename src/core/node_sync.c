/*
 * node_sync — anti-entropy: how nodes that missed records get them.
 *
 * Heartbeats carry a version vector: for every author, the last sequence
 * held (all before it too) and whether the sender counts the author as a
 * live member.  A heartbeat carries only the entries that changed since
 * the last one on its link (all of them on a link's first), at most a
 * frame's worth, the rest in more heartbeats sent at once; so an idle
 * chat's heartbeats stay small however many authors it has.  The receiver
 * keeps each peer's vector whole by merging them.  A peer's vector that
 * shows more than we hold, or a gap in what arrives (node_hist.c), makes
 * us pull the missing range from that peer, one pull per author at a time;
 * a pull given up while a peer's vector still shows more is asked again,
 * of another peer first.  The peer streams the range from
 * its store in batches while its link drains.  A pull that makes no
 * progress for timeout-ms is given up with a log line, and the next one
 * for that author goes to another peer first.
 */
#include "node_int.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* --- pulling ---------------------------------------------------------------- */

/* Ask l's peer for records from..to of a's author, unless a pull is on. */
void
node_sync_pull(node *n, uint64_t now, peer_link *l, hist_author *a, uint64_t to)
{
	wire_msg p = {.type = WIRE_PULL};
	uint64_t held = a->seq + (uint64_t)a->npend;

	if (a->pull_link != 0 || to <= held || a->refused)
		return;
	if (a->pull_failed == l->id) {
		a->pull_failed = 0; /* give the others a turn first */
		return;
	}
	p.u.pull.sender = a->id;
	p.u.pull.from = held + 1;
	p.u.pull.to = to;
	node_send(n, l->id, &p);
	a->pull_link = l->id;
	a->pull_to = to;
	a->pull_deadline = now + n->cfg.timeout_ms;
}

/* Records of a came in: a pull of them is done, or makes progress. */
void
node_sync_progress(node *n, uint64_t now, hist_author *a)
{
	if (a->pull_link == 0)
		return;
	if (a->seq + (uint64_t)a->npend >= a->pull_to)
		a->pull_link = 0;
	else
		a->pull_deadline = now + n->cfg.timeout_ms;
}

/* --- version vectors ---------------------------------------------------------- */

peer_vec *
node_peer_vec(node *n, uint64_t id)
{
	for (int i = 0; i < n->vecs.len; i++)
		if (n->vecs.v[i].id == id)
			return &n->vecs.v[i];
	return NULL;
}

/* An entry replaces the one for its author; a new author is added, up to the cap. */
static void
merge_entry(peer_vec *v, const wire_have *e)
{
	for (int k = 0; k < v->count; k++)
		if (v->have[k].id == e->id) {
			v->have[k] = *e;
			return;
		}
	if (v->count == NODE_MAX_AUTHORS)
		return;
	v->have = xgrow(v->have, v->count, &v->cap, 16, sizeof *v->have);
	v->have[v->count++] = *e;
}

static void
save_vec(node *n, uint64_t id, uint64_t now, const wire_msg *hb)
{
	peer_vec *v = node_peer_vec(n, id);

	if (v == NULL) {
		n->vecs.v = xrealloc(n->vecs.v, (size_t)(n->vecs.len + 1) * sizeof *v);
		v = &n->vecs.v[n->vecs.len++];
		*v = (peer_vec){.id = id};
	}
	for (size_t i = 0; i < hb->u.heartbeat.count; i++)
		merge_entry(v, &hb->u.heartbeat.have[i]);
	v->at = now;
}

void
node_sync_on_heartbeat(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	member *m = member_find(&n->members, l->peer);

	if (!node_hist_report(n, now, m, msg->u.heartbeat.hlc, msg->u.heartbeat.seq))
		return;
	m->agrees = msg->u.heartbeat.digest == node_digest(n);
	save_vec(n, m->id, now, msg);
	for (size_t i = 0; i < msg->u.heartbeat.count; i++) {
		const wire_have *e = &msg->u.heartbeat.have[i];
		if (hist_author_find(&n->history.hist, e->id) == NULL &&
		    (e->seq == 0 || n->history.hist.nauthors >= NODE_MAX_AUTHORS))
			continue;
		hist_author *a = hist_author_get(&n->history.hist, e->id, NULL);
		if (!m->vec_seen && e->seq > a->sync_to)
			a->sync_to = e->seq;
		if (e->seq > a->offered) {
			a->offered = e->seq;
			a->offered_by = m->id;
		}
		node_sync_pull(n, now, l, a, e->seq);
	}
	if (!msg->u.heartbeat.more)
		m->vec_seen = true; /* the whole of it is here */
}

/* Our clock and our last sequence; our vector as it is now, by author. */
void
node_sync_heartbeat(node *n, uint64_t now, wire_msg *hb)
{
	const hist *h = &n->history.hist;
	node_vectors *vs = &n->vecs;

	hb->u.heartbeat.hlc = node_clock_on(n, now);
	hb->u.heartbeat.seq = hist_author_find(&n->history.hist, n->cfg.id)->seq;
	if (vs->capours < h->nauthors) {
		vs->capours = h->nauthors;
		vs->ours = xrealloc(vs->ours, (size_t)vs->capours * sizeof *vs->ours);
	}
	for (int i = 0; i < h->nauthors; i++) {
		const hist_author *a = &h->authors[i];
		const member *m = member_find(&n->members, a->id);
		vs->ours[i] = (wire_have){.id = a->id, .seq = a->seq,
					  .live = m && (m->self || m->state == MEMBER_ALIVE)};
	}
	vs->nours = h->nauthors;
}

static bool
same_have(const wire_have *x, const wire_have *y)
{
	return x->id == y->id && x->seq == y->seq && x->live == y->live;
}

void
node_sync_vector(node *n, peer_link *l, wire_msg *hb)
{
	const node_vectors *vs = &n->vecs;
	size_t k = 0;
	int i;

	if (l->ntold < vs->nours) {
		l->told = xrealloc(l->told, (size_t)vs->nours * sizeof *l->told);
		memset(&l->told[l->ntold], 0, (size_t)(vs->nours - l->ntold) * sizeof *l->told);
		l->ntold = vs->nours; /* id 0: never told */
	}
	for (i = 0; i < vs->nours && k < WIRE_MAX_VECTOR; i++)
		if (!same_have(&l->told[i], &vs->ours[i]))
			hb->u.heartbeat.have[k++] = l->told[i] = vs->ours[i];
	while (i < vs->nours && same_have(&l->told[i], &vs->ours[i]))
		i++;
	hb->u.heartbeat.count = k;
	hb->u.heartbeat.more = i < vs->nours;
}

/* --- serving pulls -------------------------------------------------------- */

void
node_sync_on_pull(node *n, peer_link *l, const wire_msg *msg)
{
	const hist_author *a = hist_author_find(&n->history.hist, msg->u.pull.sender);
	uint64_t from = msg->u.pull.from, to = msg->u.pull.to;
	int i;

	if (a == NULL || from == 0 || from > a->seq || to < from)
		return; /* nothing of it here: the puller times out and asks elsewhere */
	if (to > a->seq)
		to = a->seq;
	for (i = 0; i < l->nserve && l->serve[i].sender != a->id; i++)
		;
	if (i == NODE_MAX_SERVE) {
		node_log(n, NODE_LOG_ALWAYS, "%s asks for too many ranges at once; one ignored",
			 l->host);
		return;
	}
	serve_range *s = &l->serve[i];
	*s = (serve_range){.sender = a->id, .next = from, .to = to};
	/* Up to a signed head: the puller can take nothing it cannot check. */
	if (n->io.store_sig_at(n->io.ctx, a->id, to, &s->sig) == 1 && s->sig.seq <= a->seq)
		s->to = s->sig.seq;
	s->sig.seq = 0; /* looked up again for each stretch */
	if (i == l->nserve)
		l->nserve++;
}

/* A signed head to one link, or to every member (to = 0). */
void
node_send_sig(node *n, uint32_t to, const hist_sig *sig)
{
	wire_msg m = {.type = WIRE_SIG};

	m.u.sig.sender = sig->sender;
	m.u.sig.seq = sig->seq;
	m.u.sig.chain = sig->chain;
	m.u.sig.pk = sig->pk;
	m.u.sig.sig = sig->sig;
	if (to)
		node_send(n, to, &m);
	else
		node_broadcast(n, &m);
}

typedef struct serving {
	node *n;
	uint32_t link;
} serving;

static bool
send_one(void *arg, const hist_rec *r)
{
	serving *s = arg;
	wire_msg chat = {.type = WIRE_CHAT};

	chat.u.chat.sender = r->sender;
	chat.u.chat.seq = r->seq;
	chat.u.chat.hlc = r->hlc;
	chat.u.chat.kind = r->kind;
	chat.u.chat.nick = wire_cstr(r->nick);
	chat.u.chat.text = (wire_str){r->text, r->len};
	node_send(s->n, s->link, &chat);
	return true;
}

/* Drop l's first range. */
static void
serve_done(peer_link *l)
{
	memmove(&l->serve[0], &l->serve[1], (size_t)--l->nserve * sizeof l->serve[0]);
}

/*
 * Stream what l's peer asked for while its link drains: each stretch of
 * records up to a signed head, then the head.
 */
static void
serve_link(node *n, peer_link *l)
{
	serving ctx = {n, l->id};

	while (l->nserve > 0 && n->io.pending(n->io.ctx, l->id) < NODE_MAX_PENDING) {
		serve_range *s = &l->serve[0];
		if (s->next > s->to) {
			serve_done(l);
			continue;
		}
		if (s->sig.seq < s->next &&
		    n->io.store_sig_at(n->io.ctx, s->sender, s->next, &s->sig) != 1) {
			node_log(n, NODE_LOG_ALWAYS, "no signature covers record %llu of %016llx",
				 (unsigned long long)s->next, (unsigned long long)s->sender);
			serve_done(l);
			continue;
		}
		uint64_t left = s->sig.seq - s->next + 1;
		int max = left < NODE_SERVE_BATCH ? (int)left : NODE_SERVE_BATCH;
		int got = n->io.store_range(n->io.ctx, s->sender, s->next, max, send_one, &ctx);
		s->next += got > 0 ? (uint64_t)got : 0;
		if (got < max) {
			serve_done(l); /* the store ends early: nothing more here */
			continue;
		}
		if (s->next > s->sig.seq)
			node_send_sig(n, l->id, &s->sig);
	}
}

void
node_sync_serve(node *n)
{
	peer_link *l;

	for (int i = 0; (l = node_link_at(n, i)) != NULL; i++)
		if (l->up && l->nserve)
			serve_link(n, l);
}

/* A link to a peer whose vector shows more of a than held: not the failed one, if any. */
static peer_link *
offer_of(node *n, const hist_author *a, uint64_t held, uint64_t *seq)
{
	peer_link *fallback = NULL;

	for (int i = 0; i < n->vecs.len; i++) {
		const peer_vec *v = &n->vecs.v[i];
		peer_link *l = node_link_to(n, v->id);
		for (int k = 0; l && k < v->count; k++) {
			if (v->have[k].id != a->id || v->have[k].seq <= held)
				continue;
			*seq = v->have[k].seq;
			if (l->id != a->pull_failed)
				return l;
			fallback = l;
		}
	}
	return fallback;
}

/* No pull of a is on while a peer showed more than we hold: ask again. */
static void
pull_again(node *n, uint64_t now, hist_author *a)
{
	uint64_t held = a->seq + (uint64_t)a->npend, seq = a->offered;
	peer_link *l = node_link_to(n, a->offered_by);

	if (l == NULL || l->id == a->pull_failed)
		l = offer_of(n, a, held, &seq);
	if (l == NULL) {
		a->offered = held; /* no one linked has more: a vector that does will say */
		return;
	}
	node_sync_pull(n, now, l, a, seq);
}

/* Pulls that stopped making progress are given up (and asked elsewhere). */
void
node_sync_tick(node *n, uint64_t now)
{
	for (int i = 0; i < n->history.hist.nauthors; i++) {
		hist_author *a = &n->history.hist.authors[i];
		/* Records whose signature never came (the link broke): pull again. */
		if (a->npend && now - a->pend_since > n->cfg.timeout_ms) {
			node_log(n, NODE_LOG_VERBOSE, "%d record(s) of %016llx never signed; dropped",
				 a->npend, (unsigned long long)a->id);
			hist_pend_drop(a, a->npend);
		}
		if (a->pull_link == 0) {
			if (a->offered > a->seq + (uint64_t)a->npend && !a->refused)
				pull_again(n, now, a);
			continue;
		}
		if (node_link(n, a->pull_link) == NULL) {
			a->pull_link = 0;
		} else if (now >= a->pull_deadline) {
			node_log(n, NODE_LOG_ALWAYS,
				 "no records of %016llx after %llu came on link %u; asking elsewhere",
				 (unsigned long long)a->id, (unsigned long long)a->seq, a->pull_link);
			a->pull_failed = a->pull_link;
			a->pull_link = 0;
		}
	}
}

void
node_sync_free(node *n)
{
	for (int i = 0; i < n->vecs.len; i++)
		free(n->vecs.v[i].have);
	free(n->vecs.v);
	free(n->vecs.ours);
	n->vecs = (node_vectors){0};
}
