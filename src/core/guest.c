/* guest — see guest.h. */
#include "guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "crypto.h"
#include "xalloc.h"

void
guest_table_free(guest_table *t)
{
	free(t->v);
	free(t->over);
	*t = (guest_table){0};
}

static uint64_t
hash_folded(const char *domain, const char *a, size_t alen, const char *b, size_t blen)
{
	uint8_t buf[2 * NICK_MAX + 2 * GUEST_TAG_MAX], out[8];
	size_t o = 0;

	for (size_t i = 0; i < alen && o < sizeof buf; i++)
		buf[o++] = (uint8_t)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i]);
	if (o < sizeof buf)
		buf[o++] = 0;
	for (size_t i = 0; i < blen && o < sizeof buf; i++)
		buf[o++] = (uint8_t)b[i];
	crypto_hash2(out, sizeof out, domain, strlen(domain), buf, o, "", 0);
	return be_get64(out);
}

uint64_t
guest_id(const char *nick)
{
	return hash_folded("chorus-guest-id", nick, strlen(nick), "", 0);
}

guest *
guest_find(guest_table *t, uint64_t host, const char *nick)
{
	for (int i = 0; i < t->n; i++)
		if (t->v[i].host == host && nick_same(t->v[i].nick, nick))
			return &t->v[i];
	return NULL;
}

guest *
guest_other(guest_table *t, const char *nick, uint64_t skip)
{
	guest *best = NULL;

	for (int i = 0; i < t->n; i++) {
		guest *g = &t->v[i];
		if (!g->active || g->host == skip || !nick_same(g->nick, nick))
			continue;
		if (best == NULL || hist_cmp(g->hlc, g->host, best->hlc, best->host) < 0)
			best = g;
	}
	return best;
}

/* The latest takeover of (host, nick) folded in, or NULL. */
static guest_over *
over_find(guest_table *t, uint64_t host, const char *nick)
{
	for (int i = 0; i < t->nover; i++)
		if (t->over[i].host == host && nick_same(t->over[i].nick, nick))
			return &t->over[i];
	return NULL;
}

/* Remember that r takes (host, nick) over, if it is the latest to. */
static void
over_note(guest_table *t, uint64_t host, const hist_rec *r)
{
	guest_over *o = over_find(t, host, r->nick);

	if (o && hist_cmp(o->hlc, o->by, r->hlc, r->sender) >= 0)
		return;
	if (o == NULL) {
		if (t->nover == t->capover) {
			t->capover = t->capover ? 2 * t->capover : 8;
			t->over = xrealloc(t->over, (size_t)t->capover * sizeof *t->over);
		}
		o = &t->over[t->nover++];
		o->host = host;
		snprintf(o->nick, sizeof o->nick, "%s", r->nick);
	}
	o->hlc = r->hlc;
	o->by = r->sender;
}

/*
 * Whether a takeover later in history order than the join (hlc, host) of
 * nick has been folded in: that session ended as soon as it began.
 */
static bool
taken_over_since(guest_table *t, uint64_t host, const char *nick, uint64_t hlc)
{
	const guest_over *o = over_find(t, host, nick);

	return o && hist_cmp(o->hlc, o->by, hlc, host) > 0;
}

guest *
guest_join(guest_table *t, const hist_rec *r, guest **displaced)
{
	uint64_t prev = 0, inc = 0;
	guest *g;

	*displaced = NULL;
	if (!guest_join_parse(r->text, r->len, &prev, &inc))
		prev = inc = 0;
	if (prev != 0 && prev != r->sender) {
		over_note(t, prev, r);
		/* Only a session that began before r is the one r took over. */
		guest *old = guest_find(t, prev, r->nick);
		if (old && old->active && hist_cmp(old->hlc, old->host, r->hlc, r->sender) < 0) {
			old->active = false;
			*displaced = old;
		}
	}
	g = guest_find(t, r->sender, r->nick);
	uint64_t first = g ? g->first_hlc : r->hlc;
	if (g == NULL) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 8;
			t->v = xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
			if (*displaced) /* the array moved */
				*displaced = guest_find(t, prev, r->nick);
		}
		g = &t->v[t->n++];
	}
	/* A takeover of this session may have come first (from another host). */
	*g = (guest){.host = r->sender, .hlc = r->hlc, .first_hlc = first, .prev = prev, .inc = inc,
		     .active = !taken_over_since(t, r->sender, r->nick, r->hlc)};
	snprintf(g->nick, sizeof g->nick, "%s", r->nick);
	return g;
}

guest *
guest_part(guest_table *t, const hist_rec *r)
{
	guest *g = guest_find(t, r->sender, r->nick);

	if (g) {
		g->active = false;
		g->part_hlc = r->hlc;
	}
	return g;
}

bool
guest_yields(const guest *mine, const guest *other)
{
	if (other->prev == mine->host)
		return true;  /* the user moved on to other's host */
	if (mine->prev == other->host)
		return false; /* mine took other over */
	return hist_cmp(mine->hlc, mine->host, other->hlc, other->host) > 0;
}

size_t
guest_join_text(uint64_t prev, uint64_t inc, char *buf, size_t cap)
{
	int k = prev ? snprintf(buf, cap, "%016llx %016llx", (unsigned long long)prev,
				(unsigned long long)inc)
		     : snprintf(buf, cap, "- %016llx", (unsigned long long)inc);

	return k < 0 ? 0 : (size_t)k;
}

/* 16 lower-case hex digits. */
static bool
hex64(const char *text, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < 16; i++) {
		char c = text[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

bool
guest_join_parse(const char *text, size_t len, uint64_t *prev, uint64_t *inc)
{
	if (len == 18 && text[0] == '-' && text[1] == ' ') {
		*prev = 0;
		return hex64(text + 2, inc);
	}
	return len == 33 && text[16] == ' ' && hex64(text, prev) && hex64(text + 17, inc);
}

bool
guest_tag_ok(const char *tag, size_t len)
{
	if (len == 0 || len > GUEST_TAG_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = tag[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == ':'))
			return false;
	}
	return true;
}

bool
guest_chat_parse(const char *text, size_t len, const char **tag, size_t *tag_len,
		 const char **line, size_t *line_len)
{
	const char *sp = memchr(text, ' ', len);

	if (sp == NULL)
		return false;
	*tag = text;
	*tag_len = (size_t)(sp - text);
	*line = sp + 1;
	*line_len = len - *tag_len - 1;
	if (*tag_len == 1 && text[0] == '-') {
		*tag_len = 0;
		return true;
	}
	return guest_tag_ok(*tag, *tag_len);
}

bool
guest_seen_add(guest_seen *s, const char *nick, const char *tag, size_t tag_len)
{
	uint64_t h = hash_folded("chorus-guest-tag", nick, strlen(nick), tag, tag_len);

	for (int i = 0; i < s->n; i++)
		if (s->ring[i] == h)
			return false;
	s->ring[s->next] = h;
	s->next = (s->next + 1) % GUEST_SEEN_MAX;
	if (s->n < GUEST_SEEN_MAX)
		s->n++;
	return true;
}
