/*
 * hist — see hist.h.
 *
 * The digest is a sum, lane by lane modulo 2^64, of a 128-bit BLAKE2b hash
 * of each record's sender, sequence, stamp, kind and text (not its nick;
 * the lanes are read in host byte order, docs/protocol.md).  A sum does
 * not depend on the order records arrive in, and since the history order
 * is a function of the records themselves, equal digests mean equal
 * histories in equal order.
 */
#include "hist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "crypto.h"
#include "xalloc.h"

void
hist_init(hist *h)
{
	*h = (hist){0};
}

void
hist_free(hist *h)
{
	for (int i = 0; i < h->nheap; i++)
		free((char *)h->heap[i].text);
	free(h->heap);
	for (int i = 0; i < h->nauthors; i++) {
		hist_pend_drop(&h->authors[i], h->authors[i].npend);
		free(h->authors[i].pend);
		free(h->authors[i].pend_chain);
	}
	free(h->authors);
	idmap_free(&h->index);
	*h = (hist){0};
}

/* --- authors ----------------------------------------------------------- */

hist_author *
hist_author_find(hist *h, uint64_t id)
{
	int i = idmap_find(&h->index, id);

	return i < 0 ? NULL : &h->authors[i];
}

hist_author *
hist_author_get(hist *h, uint64_t id, const char *nick)
{
	hist_author *a = hist_author_find(h, id);

	if (a == NULL) {
		if (h->nauthors == h->capauthors) {
			h->capauthors = h->capauthors ? 2 * h->capauthors : 16;
			h->authors = xrealloc(h->authors, (size_t)h->capauthors * sizeof *a);
		}
		idmap_put(&h->index, id, h->nauthors);
		a = &h->authors[h->nauthors++];
		*a = (hist_author){.id = id};
	}
	if (nick)
		snprintf(a->nick, sizeof a->nick, "%s", nick);
	return a;
}

const hist_author *
hist_nick_first(const hist *h, const char *nick)
{
	const hist_author *first = NULL;

	for (int i = 0; i < h->nauthors; i++) {
		const hist_author *a = &h->authors[i];
		if (a->nick[0] && nick_same(a->nick, nick) &&
		    (first == NULL || hist_cmp(a->nick_hlc, a->id, first->nick_hlc, first->id) < 0))
			first = a;
	}
	return first;
}

/* A report whose records are all held moves the clock. */
static void
apply_want(hist_author *a)
{
	if (a->want_seq <= a->seq && a->want_hlc > a->clock)
		a->clock = a->want_hlc;
}

void
hist_report(hist *h, uint64_t id, uint64_t hlc, uint64_t seq)
{
	hist_author *a = hist_author_get(h, id, NULL);

	if (seq <= a->seq) {
		if (hlc > a->clock)
			a->clock = hlc;
		return;
	}
	/* Keep the latest report; an earlier one held back is superseded. */
	if (hlc >= a->want_hlc) {
		a->want_hlc = hlc;
		a->want_seq = seq;
	}
}

bool
hist_report_news(hist *h, uint64_t id, uint64_t hlc, uint64_t seq)
{
	const hist_author *a = hist_author_find(h, id);

	if (a == NULL)
		return true;
	/* as hist_report would take it */
	if (seq <= a->seq)
		return hlc > a->clock;
	return hlc >= a->want_hlc && (hlc != a->want_hlc || seq != a->want_seq);
}

void
hist_pend_push(hist_author *a, const hist_rec *r, const uint8_t chain[HIST_CHAIN])
{
	if (a->npend == a->cappend) {
		a->cappend = a->cappend ? 2 * a->cappend : 16;
		a->pend = xrealloc(a->pend, (size_t)a->cappend * sizeof *a->pend);
		a->pend_chain = xrealloc(a->pend_chain, (size_t)a->cappend * sizeof *a->pend_chain);
	}
	a->pend[a->npend] = *r;
	a->pend[a->npend].text = xstrndup(r->text, r->len);
	memcpy(a->pend_chain[a->npend], chain, HIST_CHAIN);
	a->npend++;
}

void
hist_pend_drop(hist_author *a, int k)
{
	if (k == 0)
		return;
	for (int i = 0; i < k; i++)
		free((char *)a->pend[i].text);
	memmove(a->pend, a->pend + k, (size_t)(a->npend - k) * sizeof *a->pend);
	memmove(a->pend_chain, a->pend_chain + k, (size_t)(a->npend - k) * sizeof *a->pend_chain);
	a->npend -= k;
}

/* --- records ------------------------------------------------------------ */

static void
add_digest(hist *h, const hist_rec *r)
{
	uint8_t head[25], out[16];
	uint64_t lane[2];

	be_put64(head, r->sender);
	be_put64(head + 8, r->seq);
	be_put64(head + 16, r->hlc);
	head[24] = r->kind;
	crypto_hash2(out, sizeof out, NULL, 0, head, sizeof head, r->text, r->len);
	memcpy(lane, out, sizeof lane);
	h->digest[0] += lane[0];
	h->digest[1] += lane[1];
}

int
hist_take(hist *h, const hist_rec *r)
{
	hist_author *a = hist_author_get(h, r->sender, NULL);

	if (r->seq <= a->seq)
		return HIST_DUP;
	if (r->seq != a->seq + 1)
		return HIST_GAP;
	if (a->seq > 0 && r->hlc <= a->last_hlc) {
		a->refused = r->seq;
		return HIST_BAD;
	}
	a->seq = r->seq;
	a->last_hlc = r->hlc;
	if (a->nick[0] == '\0' && !hist_is_guest(r->kind)) {
		snprintf(a->nick, sizeof a->nick, "%s", r->nick);
		a->nick_hlc = r->hlc;
	}
	if (r->hlc > a->clock)
		a->clock = r->hlc;
	apply_want(a);
	h->count++;
	add_digest(h, r);
	return HIST_NEW;
}

void
hist_digest_hex(const hist *h, char *buf)
{
	snprintf(buf, 33, "%016llx%016llx", (unsigned long long)h->digest[0],
		 (unsigned long long)h->digest[1]);
}

/* --- the heap of records not shown yet ----------------------------------- */

static bool
less(const hist_rec *a, const hist_rec *b)
{
	return hist_cmp(a->hlc, a->sender, b->hlc, b->sender) < 0;
}

static void
swap(hist_rec *a, hist_rec *b)
{
	hist_rec t = *a;

	*a = *b;
	*b = t;
}

static void
sift_up(hist *h, int i)
{
	while (i > 0 && less(&h->heap[i], &h->heap[(i - 1) / 2])) {
		swap(&h->heap[i], &h->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

void
hist_hold(hist *h, const hist_rec *r)
{
	if (h->nheap == h->capheap) {
		h->capheap = h->capheap ? 2 * h->capheap : 64;
		h->heap = xrealloc(h->heap, (size_t)h->capheap * sizeof *r);
	}
	int i = h->nheap++;
	h->heap[i] = *r;
	h->heap[i].text = xstrndup(r->text, r->len);
	sift_up(h, i);
}

void
hist_hold_owned(hist *h, hist_rec *r)
{
	if (h->nheap == h->capheap) {
		h->capheap = h->capheap ? 2 * h->capheap : 64;
		h->heap = xrealloc(h->heap, (size_t)h->capheap * sizeof *r);
	}
	int i = h->nheap++;
	h->heap[i] = *r;
	r->text = NULL;
	sift_up(h, i);
}

const hist_rec *
hist_first(const hist *h)
{
	return h->nheap ? &h->heap[0] : NULL;
}

void
hist_shown(hist *h)
{
	if (h->nheap == 0)
		return;
	h->shown_hlc = h->heap[0].hlc;
	h->shown_sender = h->heap[0].sender;
	free((char *)h->heap[0].text);
	h->heap[0] = h->heap[--h->nheap];
	for (int i = 0;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->nheap && less(&h->heap[l], &h->heap[m]))
			m = l;
		if (r < h->nheap && less(&h->heap[r], &h->heap[m]))
			m = r;
		if (m == i)
			break;
		swap(&h->heap[i], &h->heap[m]);
		i = m;
	}
}

bool
hist_is_late(const hist *h, const hist_rec *r)
{
	return hist_cmp(r->hlc, r->sender, h->shown_hlc, h->shown_sender) < 0;
}
