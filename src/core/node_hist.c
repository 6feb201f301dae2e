/*
 * node_hist — the replicated history: every record typed anywhere is
 * stored, reaches every member once, and is shown in one order everywhere.
 *
 * Order.  A record is stamped by its author with a hybrid logical clock;
 * the history order is (stamp, author id).  A record is shown once it is
 * stable: every member we wait for has been heard from with a clock at or
 * past its stamp, and we hold everything that member sent before that
 * clock (hist_author.clock).  Receivers report their clock promptly
 * (STATUS, one per batch of new records), so stability costs about one
 * round trip.  Per-author sequence numbers give FIFO, dedup and gaps.
 *
 * View changes.  A newcomer sends nothing until every member has reported
 * to it after its HELLO (node_may_send): those reports lift its clock above
 * anything a member has shown, so its records are never late.  A member
 * that is lost or leaves is waited for until the others' version vectors
 * say they no longer count it live and we hold all of its records they
 * hold (or timeout-ms passes), so that all survivors show the same records
 * of it.
 *
 * Anti-entropy (version vectors, pulls) is in node_sync.c; what is shown,
 * and when, in node_show.c.
 *
 * Catching up.  A node that (re)joins shows nothing until it holds what
 * every member's first vector listed and all it took in meanwhile is
 * stable; then the last NODE_SHOW_HISTORY of it are shown as [HISTORY] and
 * the rest stay in the store (\history).  After that, a record that sorts
 * before one already shown (it was cut off by a partition) is shown at
 * once as [LATE ...].
 */
#include "node_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "xalloc.h"

static hist_author *
own(node *n)
{
	return hist_author_find(&n->history.hist, n->cfg.id);
}

/* --- restoring the store's records ---------------------------------------- */

static bool
restore_one(void *arg, const hist_rec *r)
{
	node *n = arg;

	if (hist_take(&n->history.hist, r) != HIST_NEW) {
		node_log(n, NODE_LOG_ALWAYS, "store: record %llu of %016llx out of order; skipped",
			 (unsigned long long)r->seq, (unsigned long long)r->sender);
		return true;
	}
	sign_chain(hist_author_find(&n->history.hist, r->sender)->chain, r);
	node_see_clock(n, node_clock_started(n), r->hlc);
	node_mod_restore(n, r);
	if (r->kind == HIST_GUEST_JOIN || r->kind == HIST_GUEST_PART)
		node_guest_restore(n, r, hist_cmp(r->hlc, r->sender, n->cfg.mark_hlc,
						  n->cfg.mark_sender) <= 0);
	if (hist_cmp(r->hlc, r->sender, n->cfg.mark_hlc, n->cfg.mark_sender) > 0)
		hist_hold(&n->history.hist, r);
	return true;
}

/* Keep a line until we may send (node_hist_check_ready). */
static void
queue_line(node *n, int kind, const char *nick, const char *text, size_t len)
{
	queued_line *q = &n->outbox.v[n->outbox.len++];

	*q = (queued_line){xstrndup(text, len), len, kind, ""};
	snprintf(q->nick, sizeof q->nick, "%s", nick ? nick : "");
}

/* A line kept in an earlier life: queued again, sent once we may. */
static bool
restore_pending(void *arg, const hist_rec *r)
{
	node *n = arg;

	if (n->outbox.len < NODE_MAX_QUEUED && r->len <= WIRE_MAX_TEXT)
		queue_line(n, r->kind, r->nick, r->text, r->len);
	return true;
}

void
node_hist_restore(node *n, uint64_t now)
{
	hist_init(&n->history.hist);
	node_clock_start(n, now);
	n->history.hist.shown_hlc = n->cfg.mark_hlc;
	n->history.hist.shown_sender = n->cfg.mark_sender;
	hist_author_get(&n->history.hist, n->cfg.id, NULL); /* our nick: bound as anyone's */
	if (n->io.store_scan)
		n->io.store_scan(n->io.ctx, restore_one, n);
	/* Our records signed in the last life need no new signature. */
	hist_sig last;
	if (n->io.store_sig_at(n->io.ctx, n->cfg.id, own(n)->seq, &last) == 1 &&
	    last.seq == own(n)->seq)
		n->history.signed_seq = last.seq;
	node_show_restore(n);
	node_guest_restored(n, now);
	node_clock_fix_since(n, now);
	if (n->io.store_pending_scan)
		n->io.store_pending_scan(n->io.ctx, restore_pending, n);
}

void
node_hist_free(node *n)
{
	for (int i = 0; i < n->outbox.len; i++)
		free(n->outbox.v[i].text);
	node_sync_free(n);
	hist_free(&n->history.hist);
	node_mod_free(n);
	node_guest_free(n);
	crypto_wipe(n->history.sk, sizeof n->history.sk);
}

/*
 * Records waiting for a signature that was to come on a link now gone: the
 * signature will not come that way.  Drop them at once, so that the next
 * vector that shows them pulls them again (with their signature) from
 * whoever has them, rather than after timeout-ms (node_sync_tick).
 */
void
node_hist_drop_unsigned(node *n, uint32_t id)
{
	for (int i = 0; i < n->history.hist.nauthors; i++) {
		hist_author *a = &n->history.hist.authors[i];
		if (a->npend == 0 || a->pend_link != id)
			continue;
		node_log(n, NODE_LOG_VERBOSE, "link %u gone: %d unsigned record(s) of %016llx dropped",
			 id, a->npend, (unsigned long long)a->id);
		hist_pend_drop(a, a->npend);
	}
}

/* --- taking records in --------------------------------------------------- */

/*
 * A new record: store it, then hold it for showing (or show it late).
 * chain: the author's hash chain through r when known, else NULL.
 * owned: r's text is malloc'd and may be kept (r->text is then NULL).
 */
static int
take(node *n, uint64_t now, hist_rec *r, const uint8_t *chain, bool owned)
{
	int took = hist_take(&n->history.hist, r);

	if (took != HIST_NEW)
		return took;
	hist_author *a = hist_author_find(&n->history.hist, r->sender);
	if (chain)
		memcpy(a->chain, chain, HIST_CHAIN);
	else
		sign_chain(a->chain, r);
	n->io.store_put(n->io.ctx, r);
	node_see_clock(n, now, r->hlc);
	if (hist_is_mod(r->kind))
		node_mod_taken(n, r);
	if (r->kind == HIST_GUEST_JOIN || r->kind == HIST_GUEST_PART)
		node_guest_taken(n, now, r);
	if (!hist_is_late(&n->history.hist, r)) {
		if (owned)
			hist_hold_owned(&n->history.hist, r);
		else
			hist_hold(&n->history.hist, r);
	} else if (node_caught_up(n) || (node_in_chat(n) && node_since_start(n, r))) {
		node_show(n, r, EVENT_LATE);
	} else if (hist_is_guest(r->kind)) {
		node_guest_show(n, r, EVENT_HISTORY, false); /* passed over; presence counts */
	}
	node_show_taken(n, now, r);
	return took;
}

/* Write our next record, stamped hlc: take it, send it. */
static void
write_record(node *n, uint64_t now, int kind, const char *nick, uint64_t hlc, const char *text,
	     size_t len)
{
	hist_rec r = {.sender = n->cfg.id, .seq = own(n)->seq + 1, .kind = (uint8_t)kind,
		      .hlc = hlc, .text = text, .len = len};
	wire_msg chat = {.type = WIRE_CHAT};

	snprintf(r.nick, sizeof r.nick, "%s", nick && *nick ? nick : n->nick);
	if (take(n, now, &r, NULL, false) != HIST_NEW)
		return; /* (only a forged stamp is refused) */
	chat.u.chat.sender = r.sender;
	chat.u.chat.seq = r.seq;
	chat.u.chat.hlc = r.hlc;
	chat.u.chat.kind = r.kind;
	chat.u.chat.nick = wire_cstr(r.nick);
	chat.u.chat.text = (wire_str){text, len};
	node_broadcast(n, &chat);
	/* A receiver holds unsigned records back: keep batches small. */
	if (r.seq - n->history.signed_seq >= NODE_SIGN_EVERY)
		node_sign_own(n);
}

static void
send_record(node *n, uint64_t now, int kind, const char *nick, const char *text, size_t len)
{
	write_record(n, now, kind, nick, node_clock_stamp(n, now), text, len);
}

/*
 * A chat line stamped hlc instead of by our clock: a forger's tool (the
 * system tests' modified binary and the simulator's insider use it; the
 * node itself never does).  Written only once we may send.
 */
void
node_submit_stamped(node *n, uint64_t now, uint64_t hlc, const char *text, size_t len)
{
	if (node_may_send(n) && n->outbox.len == 0 && len <= WIRE_MAX_TEXT)
		write_record(n, now, HIST_CHAT, NULL, hlc, text, len);
}

void
node_submit(node *n, uint64_t now, const char *text, size_t len)
{
	if (node_is_silenced(n, n->cfg.id)) {
		node_emit(n, EVENT_ERROR, NULL, "you are silenced");
		return;
	}
	node_submit_kind(n, now, HIST_CHAT, text, len);
}

void
node_submit_kind(node *n, uint64_t now, int kind, const char *text, size_t len)
{
	node_submit_as(n, now, kind, NULL, text, len);
}

void
node_submit_as(node *n, uint64_t now, int kind, const char *nick, const char *text,
	       size_t len)
{
	if (len > WIRE_MAX_TEXT) {
		node_emit(n, EVENT_ERROR, NULL, "message too long");
		return;
	}
	if (!utf8_valid(text, len)) {
		node_emit(n, EVENT_ERROR, NULL, "message is not valid UTF-8");
		return;
	}
	if (node_may_send(n) && n->outbox.len == 0) {
		send_record(n, now, kind, nick, text, len);
		return;
	}
	if (n->outbox.len == NODE_MAX_QUEUED) {
		node_emit(n, EVENT_ERROR, NULL, "not joined yet and too many messages waiting");
		return;
	}
	queue_line(n, kind, nick, text, len);
	hist_rec r = {.kind = (uint8_t)kind, .text = text, .len = len};
	snprintf(r.nick, sizeof r.nick, "%s", nick ? nick : "");
	if (n->io.store_pending)
		n->io.store_pending(n->io.ctx, &r);
	if (kind == HIST_CHAT && r.nick[0] == '\0') {
		event ev = {.kind = EVENT_PENDING, .text = text, .text_len = len};
		node_event(n, &ev);
	}
}


static bool
record_of(const wire_msg *msg, hist_rec *r)
{
	const wire_str *nk = &msg->u.chat.nick;

	if (msg->u.chat.sender == 0 || msg->u.chat.seq == 0 || nick_check(nk->ptr, nk->len) ||
	    msg->u.chat.kind > HIST_KIND_MAX)
		return false;
	*r = (hist_rec){.sender = msg->u.chat.sender, .seq = msg->u.chat.seq,
			.hlc = msg->u.chat.hlc, .kind = msg->u.chat.kind,
			.text = msg->u.chat.text.ptr, .len = msg->u.chat.text.len};
	memcpy(r->nick, nk->ptr, nk->len);
	r->nick[nk->len] = '\0';
	return true;
}

/*
 * A record from a peer: if it is its author's next one, it waits (with the
 * chain through it) for the signature that covers it; a gap is pulled.
 */
void
node_hist_on_chat(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	hist_rec r;

	if (!record_of(msg, &r)) {
		node_log(n, NODE_LOG_ALWAYS, "dropping an invalid record from %s", l->host);
		return;
	}
	if (hist_author_find(&n->history.hist, r.sender) == NULL &&
	    n->history.hist.nauthors >= NODE_MAX_AUTHORS)
		return;
	hist_author *a = hist_author_get(&n->history.hist, r.sender, NULL);
	uint64_t next = a->seq + (uint64_t)a->npend + 1;
	if (r.seq < next || a->refused)
		return; /* held already, or its author is refused */
	if (r.seq > next || a->npend == NODE_MAX_UNSIGNED) {
		node_sync_pull(n, now, l, a, r.seq);
		return;
	}
	uint8_t chain[HIST_CHAIN];
	memcpy(chain, a->npend ? a->pend_chain[a->npend - 1] : a->chain, HIST_CHAIN);
	sign_chain(chain, &r);
	if (a->npend == 0)
		a->pend_since = now;
	a->pend_link = l->id;
	hist_pend_push(a, &r, chain);
	node_sync_progress(n, now, a);
}

/*
 * A signed chain head: the records it covers are taken in if the chain we
 * computed over them ends where the author signed; otherwise they are not
 * the author's, and are dropped.
 */
void
node_hist_on_sig(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	hist_sig sig = {.sender = msg->u.sig.sender, .seq = msg->u.sig.seq};
	hist_author *a = hist_author_find(&n->history.hist, sig.sender);

	if (a == NULL || sig.seq <= a->seq || sig.seq > a->seq + (uint64_t)a->npend)
		return; /* old, or its records are not here yet */
	memcpy(sig.chain, msg->u.sig.chain, sizeof sig.chain);
	memcpy(sig.pk, msg->u.sig.pk, sizeof sig.pk);
	memcpy(sig.sig, msg->u.sig.sig, sizeof sig.sig);
	int k = (int)(sig.seq - a->seq);
	/*
	 * From the author itself, on a link it proved is its own, the chain
	 * is enough: the author answers for what it signs.  Relayed, the
	 * signature is checked.
	 */
	bool direct = l->proven && sig.sender == l->peer &&
		      crypto_same(sig.pk, l->pk, SIGN_PK);
	if (!crypto_same(a->pend_chain[k - 1], sig.chain, HIST_CHAIN) ||
	    (!direct && !sign_check(&sig))) {
		node_log(n, NODE_LOG_ALWAYS,
			 "records of %016llx from %s do not match its signature; dropped",
			 (unsigned long long)sig.sender, l->host);
		hist_pend_drop(a, a->npend);
		return;
	}
	for (int i = 0; i < k; i++)
		if (take(n, now, &a->pend[i], a->pend_chain[i], true) == HIST_BAD) {
			node_log(n, NODE_LOG_ALWAYS,
				 "refusing %016llx from record %llu on: stamped before its previous one",
				 (unsigned long long)sig.sender, (unsigned long long)a->refused);
			hist_pend_drop(a, a->npend);
			return;
		}
	hist_pend_drop(a, k);
	a->pend_since = now;
	n->io.store_sig(n->io.ctx, &sig);
	n->history.ack_due = true;
	node_sync_progress(n, now, a);
}

/* Prove on l that we hold our id's key: sign the session's binding. */
void
node_hist_prove(node *n, peer_link *l)
{
	uint8_t proof[SIGN_SIG];
	wire_msg m = {.type = WIRE_PROVE};

	sign_proof(proof, l->binding, n->history.sk);
	m.u.prove.pk = n->history.pk;
	m.u.prove.proof = proof;
	node_send(n, l->id, &m);
}

bool
node_hist_on_prove(node *n, peer_link *l, const wire_msg *msg, uint64_t id)
{
	if (!sign_proof_check(msg->u.prove.proof, l->binding, msg->u.prove.pk, id)) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link from %s: its identity proof fails",
			 l->host);
		node_close_link(n, l);
		return false;
	}
	memcpy(l->pk, msg->u.prove.pk, SIGN_PK);
	l->proven = true;
	l->proven_id = id;
	return true;
}

/* Our records since the last signature get one: sent after them. */
void
node_sign_own(node *n)
{
	const hist_author *a = own(n);
	hist_sig sig = {.sender = n->cfg.id, .seq = a->seq};

	if (a->seq <= n->history.signed_seq)
		return;
	memcpy(sig.chain, a->chain, HIST_CHAIN);
	memcpy(sig.pk, n->history.pk, SIGN_PK);
	sign_head(&sig, n->history.sk);
	n->io.store_sig(n->io.ctx, &sig);
	n->history.signed_seq = a->seq;
	node_send_sig(n, 0, &sig);
}

/* --- reports and version vectors ------------------------------------------ */

/* m says: my clock is hlc, my last record seq.  False when we stop for it. */
bool
node_hist_report(node *n, uint64_t now, member *m, uint64_t hlc, uint64_t seq)
{
	node_clock_report(n, now, m, hlc);
	hist_report(&n->history.hist, m->id, hlc, seq);
	m->reported = true;
	if (n->phase == PHASE_JOINING)
		node_settle(n, now); /* the join may be complete now */
	return true;
}

void
node_hist_on_status(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	node_hist_report(n, now, member_find(&n->members, l->peer), msg->u.status.hlc,
			 msg->u.status.seq);
}

/* A member's HELLO bound a link: what it told us before counts no more. */
void
node_hist_bound(node *n, member *m)
{
	(void)n;
	m->reported = false;
	m->vec_seen = false;
	m->agrees = false;
}

/* --- the end of a batch ------------------------------------------------------ */

/*
 * Every member we know of, linked or only heard of, has reported since
 * its HELLO, and the linked ones know no member we do not (their member
 * digest is ours): then no member can be unaware of us when our records
 * go out.  Or that took too long.
 */
void
node_hist_check_ready(node *n, uint64_t now)
{
	if (n->phase != PHASE_ANNOUNCED && n->phase != PHASE_CAUGHT_UP)
		return;
	if (n->history.ready_deadline == 0)
		n->history.ready_deadline = now + n->cfg.timeout_ms;
	for (int i = 1; i < n->members.len && now < n->history.ready_deadline; i++) {
		const member *m = &n->members.v[i];
		if ((m->state == MEMBER_ALIVE && !(m->reported && m->agrees)) ||
		    (m->state == MEMBER_PENDING && !m->reported))
			return;
	}
	node_enter(n, n->phase == PHASE_ANNOUNCED ? PHASE_READY : PHASE_MEMBER, now);
}

void
node_hist_release(node *n, uint64_t now)
{
	for (int i = 0; i < n->outbox.len; i++) {
		send_record(n, now, n->outbox.v[i].kind, n->outbox.v[i].nick, n->outbox.v[i].text,
			    n->outbox.v[i].len);
		free(n->outbox.v[i].text);
	}
	if (n->outbox.len && n->io.store_pending_clear)
		n->io.store_pending_clear(n->io.ctx);
	n->outbox.len = 0;
}

int
node_hist_queued(const node *n)
{
	return n->outbox.len;
}

bool
node_hist_busy(const node *n)
{
	const hist_author *a = hist_author_find((hist *)&n->history.hist, n->cfg.id);

	return n->outbox.len >= NODE_MAX_QUEUED / 2 || (a && a->seq - node_show_own(n) >= NODE_WINDOW);
}

void
node_hist_keys(node *n, const uint8_t *pk, const uint8_t *sk)
{
	memcpy(n->history.pk, pk, SIGN_PK);
	memcpy(n->history.sk, sk, SIGN_SK);
}

const uint8_t *
node_hist_pk(const node *n)
{
	return n->history.pk;
}

uint64_t
node_hist_count(const node *n)
{
	return n->history.hist.count;
}

void
node_hist_digest(const node *n, char *buf)
{
	hist_digest_hex(&n->history.hist, buf);
}

const hist_author *
node_hist_author(node *n, uint64_t id)
{
	return hist_author_find(&n->history.hist, id);
}

const hist_author *
node_hist_nick_first(const node *n, const char *nick)
{
	return hist_nick_first(&n->history.hist, nick);
}

/* The heap in history order, after the last record shown; authors once each. */
void
node_hist_assert(const node *n)
{
	const hist *h = &n->history.hist;

	assert(h->nheap >= 0 && h->nheap <= h->capheap);
	assert(h->nheap == 0 ||
	       hist_cmp(h->heap[0].hlc, h->heap[0].sender, h->shown_hlc, h->shown_sender) > 0);
	for (int i = 1; i < h->nheap; i++) {
		const hist_rec *r = &h->heap[i], *p = &h->heap[(i - 1) / 2];
		assert(hist_cmp(p->hlc, p->sender, r->hlc, r->sender) <= 0);
		(void)r;
		(void)p;
	}
	for (int i = 0; i < h->nauthors; i++) {
		const hist_author *a = &h->authors[i];
		assert(a->npend >= 0 && a->npend <= a->cappend);
		for (int k = i + 1; k < h->nauthors; k++)
			assert(a->id != h->authors[k].id);
		assert(hist_author_find((hist *)h, a->id) == a); /* the index finds each */
		(void)a;
	}
	(void)h;
}
