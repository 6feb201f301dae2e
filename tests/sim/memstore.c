/* memstore — see memstore.h. */
#include "memstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "xalloc.h"

void
memstore_free(memstore *s)
{
	for (int i = 0; i < s->len; i++)
		free((char *)s->v[i].r.text);
	free(s->v);
	free(s->sigs);
	for (int i = 0; i < s->npending; i++)
		free((char *)s->pending[i].text);
	free(s->pending);
	*s = (memstore){0};
}

int
memstore_line(const char *text, size_t len)
{
	char buf[16];
	int k;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (sscanf(buf, "m%d", &k) != 1 || k < 0 || k >= MEMSTORE_LINES)
		return -1;
	return k;
}

void
memstore_put(memstore *s, const hist_rec *r)
{
	int i;

	for (i = 0; i < s->len; i++)
		if (s->v[i].r.sender == r->sender && s->v[i].r.seq == r->seq) {
			s->twice = true;
			return;
		}
	if (s->len == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
	}
	for (i = s->len; i > 0; i--) {
		const hist_rec *p = &s->v[i - 1].r;
		if (hist_cmp(p->hlc, p->sender, r->hlc, r->sender) < 0)
			break;
		s->v[i] = s->v[i - 1];
	}
	s->v[i].r = *r;
	s->v[i].r.text = xstrndup(r->text, r->len);
	s->len++;
	const char *text = r->text, *tag;
	size_t len = r->len, tag_len;
	if (r->kind == HIST_GUEST_CHAT &&
	    !guest_chat_parse(r->text, r->len, &tag, &tag_len, &text, &len))
		return;
	int k = memstore_line(text, len);
	if (k >= 0) {
		s->has[k] = true;
		s->key_hlc[k] = r->hlc;
		s->key_sender[k] = r->sender;
	}
}

void
memstore_peer(memstore *s, const node_peer *p)
{
	int i;

	for (i = 0; i < s->npeers && s->peers[i].id != p->id; i++)
		;
	if (i == s->npeers && s->npeers < MEMSTORE_PEERS)
		s->npeers++;
	if (i == MEMSTORE_PEERS)
		i--;
	memmove(&s->peers[1], &s->peers[0], (size_t)i * sizeof *p);
	s->peers[0] = *p;
}

void
memstore_sig(memstore *s, const hist_sig *sig)
{
	if (s->nsigs == s->capsigs) {
		s->capsigs = s->capsigs ? 2 * s->capsigs : 16;
		s->sigs = xrealloc(s->sigs, (size_t)s->capsigs * sizeof *sig);
	}
	s->sigs[s->nsigs++] = *sig;
}

int
memstore_sig_at(memstore *s, uint64_t sender, uint64_t seq, hist_sig *out)
{
	const hist_sig *best = NULL;

	for (int i = 0; i < s->nsigs; i++) {
		const hist_sig *g = &s->sigs[i];
		if (g->sender == sender && g->seq >= seq && (best == NULL || g->seq < best->seq))
			best = g;
	}
	if (best)
		*out = *best;
	return best != NULL;
}

int
memstore_range(memstore *s, uint64_t sender, uint64_t from, int max, hist_visit *fn,
	       void *arg)
{
	int n = 0;

	for (int i = 0; i < s->len && n < max; i++) {
		const hist_rec *r = &s->v[i].r;
		if (r->sender != sender || r->seq < from)
			continue;
		n++;
		if (!fn(arg, r))
			break;
	}
	return n;
}

int
memstore_recent(memstore *s, int n, hist_visit *fn, void *arg)
{
	int start = s->len > n ? s->len - n : 0, k = 0;

	for (int i = start; i < s->len; i++) {
		k++;
		if (!fn(arg, &s->v[i].r))
			break;
	}
	return k;
}

int
memstore_scan(memstore *s, hist_visit *fn, void *arg)
{
	return memstore_recent(s, s->len, fn, arg);
}

/* --- node_io adapters: ctx starts with the memstore -------------------------- */

static size_t
io_pending(void *ctx, uint32_t link)
{
	(void)ctx;
	(void)link;
	return 0;
}

static void
io_put(void *ctx, const hist_rec *r)
{
	memstore_put(ctx, r);
}

static void
io_peer(void *ctx, const node_peer *p)
{
	memstore_peer(ctx, p);
}

static void
io_sig(void *ctx, const hist_sig *sig)
{
	memstore_sig(ctx, sig);
}

static int
io_sig_at(void *ctx, uint64_t sender, uint64_t seq, hist_sig *out)
{
	return memstore_sig_at(ctx, sender, seq, out);
}

static void
io_mark(void *ctx, uint64_t hlc, uint64_t sender)
{
	memstore *s = ctx;

	s->mark_hlc = hlc;
	s->mark_sender = sender;
}

static void
io_inc(void *ctx, uint64_t inc)
{
	memstore *s = ctx;

	s->inc = inc;
}

static int
io_range(void *ctx, uint64_t sender, uint64_t from, int max, hist_visit *fn, void *arg)
{
	return memstore_range(ctx, sender, from, max, fn, arg);
}

static int
io_recent(void *ctx, int n, hist_visit *fn, void *arg)
{
	return memstore_recent(ctx, n, fn, arg);
}

static int
io_scan(void *ctx, hist_visit *fn, void *arg)
{
	return memstore_scan(ctx, fn, arg);
}

static void
io_pending_put(void *ctx, const hist_rec *r)
{
	memstore *s = ctx;

	if (s->npending == s->cappending) {
		s->cappending = s->cappending ? 2 * s->cappending : 8;
		s->pending = xrealloc(s->pending, (size_t)s->cappending * sizeof *s->pending);
	}
	s->pending[s->npending] = *r;
	s->pending[s->npending++].text = xstrndup(r->text, r->len);
}

static void
io_pending_clear(void *ctx)
{
	memstore *s = ctx;

	for (int i = 0; i < s->npending; i++)
		free((char *)s->pending[i].text);
	s->npending = 0;
}

static int
io_pending_scan(void *ctx, hist_visit *fn, void *arg)
{
	memstore *s = ctx;

	for (int i = 0; i < s->npending; i++)
		if (!fn(arg, &s->pending[i]))
			break;
	return 0;
}

void
memstore_io(node_io *io)
{
	io->store_pending = io_pending_put;
	io->store_pending_clear = io_pending_clear;
	io->store_pending_scan = io_pending_scan;
	io->pending = io_pending;
	io->store_put = io_put;
	io->store_peer = io_peer;
	io->store_sig = io_sig;
	io->store_sig_at = io_sig_at;
	io->store_mark = io_mark;
	io->store_inc = io_inc;
	io->store_range = io_range;
	io->store_recent = io_recent;
	io->store_scan = io_scan;
}
