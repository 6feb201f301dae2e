/* mod — see mod.h. */
#include "mod.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "xalloc.h"

static const char *const commands[] = {
	[MOD_SILENCE] = "silence", [MOD_UNSILENCE] = "unsilence",
	[MOD_REMOVE] = "remove", [MOD_READMIT] = "readmit",
};

static const char *const verbs[] = {
	[MOD_SILENCE] = "silenced", [MOD_UNSILENCE] = "unsilenced",
	[MOD_REMOVE] = "removed", [MOD_READMIT] = "readmitted",
};

const char *
mod_command(int op)
{
	return op >= MOD_SILENCE && op <= MOD_READMIT ? commands[op] : "?";
}

const char *
mod_verb(int op)
{
	return op >= MOD_SILENCE && op <= MOD_READMIT ? verbs[op] : "?";
}

void
mod_free(mod_state *m)
{
	for (int i = 0; i < m->nb; i++)
		free(m->b[i].votes);
	free(m->b);
	free(m->v);
	*m = (mod_state){0};
}

size_t
mod_encode(const mod_directive *d, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s %016" PRIx64 " %s", mod_command(d->op), d->target, d->nick);

	for (int i = 0; i < d->nvoters && n >= 0 && (size_t)n < cap; i++)
		n += snprintf(buf + n, cap - (size_t)n, " %016" PRIx64, d->voters[i]);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* A 16-digit lower-case hex id at s[0..16), not 0. */
static bool
hex_id(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (end - s < 16)
		return false;
	for (int i = 0; i < 16; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return v != 0;
}

/* The voters after a directive's nick: " <id>" each, ascending. */
static bool
decode_voters(const char *p, const char *end, mod_directive *out)
{
	out->nvoters = 0;
	while (p < end) {
		uint64_t id;
		if (*p != ' ' || out->nvoters == MOD_MAX_VOTERS || !hex_id(p + 1, end, &id) ||
		    (out->nvoters && id <= out->voters[out->nvoters - 1]))
			return false;
		out->voters[out->nvoters++] = id;
		p += 17;
	}
	return true;
}

bool
mod_decode(const char *text, size_t len, mod_directive *out)
{
	const char *end = text + len, *sp = memchr(text, ' ', len);
	uint64_t id;

	if (sp == NULL || end - sp < 18 || sp[17] != ' ' || !hex_id(sp + 1, end, &id))
		return false;
	const char *nick = sp + 18, *ne = memchr(nick, ' ', (size_t)(end - nick));
	if (ne == NULL)
		ne = end;
	if (nick_check(nick, (size_t)(ne - nick)) != NULL)
		return false;
	for (int op = MOD_SILENCE; op <= MOD_READMIT; op++)
		if ((size_t)(sp - text) == strlen(commands[op]) &&
		    memcmp(text, commands[op], (size_t)(sp - text)) == 0) {
			out->op = op;
			out->target = id;
			memcpy(out->nick, nick, (size_t)(ne - nick));
			out->nick[ne - nick] = '\0';
			return decode_voters(ne, end, out);
		}
	return false;
}

size_t
mod_endorse_encode(uint64_t author, uint64_t seq, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "endorse %016" PRIx64 " %016" PRIx64, author, seq);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

bool
mod_endorse_decode(const char *text, size_t len, uint64_t *author, uint64_t *seq)
{
	return len == 8 + 16 + 1 + 16 && memcmp(text, "endorse ", 8) == 0 &&
	       hex_id(text + 8, text + len, author) && text[24] == ' ' &&
	       hex_id(text + 25, text + len, seq);
}

bool
mod_is_voter(const mod_directive *d, uint64_t id)
{
	int lo = 0, hi = d->nvoters;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (d->voters[mid] == id)
			return true;
		if (d->voters[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static mod_target *
target(mod_state *m, uint64_t id)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].id == id)
			return &m->v[i];
	m->v = xgrow(m->v, m->n, &m->cap, 8, sizeof *m->v);
	m->v[m->n] = (mod_target){.id = id};
	return &m->v[m->n++];
}

/* --- the ballots -------------------------------------------------------- */

static mod_ballot *
ballot(mod_state *m, uint64_t author, uint64_t seq)
{
	for (int i = 0; i < m->nb; i++)
		if (m->b[i].author == author && m->b[i].seq == seq)
			return &m->b[i];
	if (m->nb == MOD_MAX_BALLOTS)
		return NULL;
	if (m->nb == m->capb) {
		m->capb = m->capb ? 2 * m->capb : 8;
		m->b = xrealloc(m->b, (size_t)m->capb * sizeof *m->b);
	}
	m->b[m->nb] = (mod_ballot){.author = author, .seq = seq};
	return &m->b[m->nb++];
}

/* id's endorsement at hlc; a voter's earliest one is kept.  False: a repeat. */
static bool
vote(mod_ballot *b, uint64_t id, uint64_t hlc)
{
	for (int i = 0; i < b->nvotes; i++)
		if (b->votes[i].id == id) {
			if (hlc >= b->votes[i].hlc)
				return false;
			b->votes[i].hlc = hlc;
			return true;
		}
	if (b->nvotes == b->capvotes) {
		b->capvotes = b->capvotes ? 2 * b->capvotes : 4;
		b->votes = xrealloc(b->votes, (size_t)b->capvotes * sizeof *b->votes);
	}
	b->votes[b->nvotes++] = (mod_vote){id, hlc};
	return true;
}

/*
 * How many of the directive's voters stand behind it at history place
 * (hlc, sender), or anywhere when hlc is UINT64_MAX: its author, and each
 * other voter's endorsement, counted where each record sorts.  before:
 * only records strictly before that place.
 */
static int
votes_at(const mod_ballot *b, uint64_t hlc, uint64_t sender, bool before)
{
	int k = 0;

	for (int i = -1; i < b->nvotes; i++) {
		uint64_t id = i < 0 ? b->author : b->votes[i].id;
		uint64_t at = i < 0 ? b->hlc : b->votes[i].hlc;
		int c = hist_cmp(at, id, hlc, sender);
		if ((i < 0 || id != b->author) && mod_is_voter(&b->d, id) && (before ? c < 0 : c <= 0))
			k++;
	}
	return k;
}

/*
 * Whether votes are enough: a majority of at least two voters, among whom
 * the target when it is a member still in the chat (not an IRC user, whose
 * id is its nick's, nor a removed member being readmitted).  Else an
 * author could name itself its only voter.
 */
static bool
majority(const mod_ballot *b, int votes)
{
	const mod_directive *d = &b->d;

	return d->nvoters >= 2 && 2 * votes > d->nvoters &&
	       (d->op == MOD_READMIT || mod_is_voter(d, d->target) ||
		d->target == guest_id(d->nick));
}

/* The directive of b now counts: fold it into the state. */
static int
decide(mod_state *m, const mod_ballot *b)
{
	const mod_directive *d = &b->d;
	mod_target *t = target(m, d->target);

	snprintf(t->nick, sizeof t->nick, "%s", d->nick);
	bool silence = d->op == MOD_SILENCE || d->op == MOD_UNSILENCE;
	uint64_t *hlc = silence ? &t->sil_hlc : &t->rem_hlc;
	uint64_t *sender = silence ? &t->sil_sender : &t->rem_sender;
	if (hist_cmp(b->hlc, b->author, *hlc, *sender) <= 0)
		return 0; /* a later directive decided it already */
	*hlc = b->hlc;
	*sender = b->author;
	if (silence) {
		t->silenced = d->op == MOD_SILENCE;
	} else {
		t->removed = d->op == MOD_REMOVE;
		snprintf(t->remover, sizeof t->remover, "%s", b->by);
	}
	return d->op;
}

/* The ballot r is about, taking r in; NULL when r is neither kind. */
static mod_ballot *
take(mod_state *m, const hist_rec *r, bool *news)
{
	mod_directive d;
	uint64_t author, seq;
	mod_ballot *b;

	*news = false;
	if (r->kind == HIST_DIRECTIVE) {
		if (!mod_decode(r->text, r->len, &d) || (b = ballot(m, r->sender, r->seq)) == NULL)
			return NULL;
		if (!b->held) {
			b->held = *news = true;
			b->d = d;
			b->hlc = r->hlc;
			snprintf(b->by, sizeof b->by, "%s", r->nick);
		}
		return b;
	}
	if (r->kind != HIST_ENDORSE || !mod_endorse_decode(r->text, r->len, &author, &seq) ||
	    (b = ballot(m, author, seq)) == NULL)
		return NULL;
	*news = vote(b, r->sender, r->hlc);
	return b;
}

int
mod_apply(mod_state *m, const hist_rec *r, mod_directive *out, char *by)
{
	bool news;
	mod_ballot *b = take(m, r, &news);

	if (b == NULL)
		return -1;
	if (b->held && out)
		*out = b->d;
	if (b->held && by)
		snprintf(by, NICK_MAX + 1, "%s", b->by);
	if (!news || !b->held || b->counts || !majority(b, votes_at(b, UINT64_MAX, UINT64_MAX, false)))
		return 0;
	b->counts = true;
	return decide(m, b);
}

bool
mod_tipped(const mod_state *m, const hist_rec *r, mod_directive *out, char *by)
{
	uint64_t author = r->sender, seq = r->seq;

	if (r->kind == HIST_ENDORSE && !mod_endorse_decode(r->text, r->len, &author, &seq))
		return false;
	if (r->kind != HIST_ENDORSE && r->kind != HIST_DIRECTIVE)
		return false;
	for (int i = 0; i < m->nb; i++) {
		const mod_ballot *b = &m->b[i];
		if (b->author != author || b->seq != seq)
			continue;
		if (!b->held || !majority(b, votes_at(b, r->hlc, r->sender, false)) ||
		    majority(b, votes_at(b, r->hlc, r->sender, true)))
			return false;
		if (out)
			*out = b->d;
		if (by)
			snprintf(by, NICK_MAX + 1, "%s", b->by);
		return true;
	}
	return false;
}

static const mod_target *
find(const mod_state *m, uint64_t id)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].id == id)
			return &m->v[i];
	return NULL;
}

bool
mod_silenced(const mod_state *m, uint64_t id)
{
	const mod_target *t = find(m, id);

	return t && t->silenced;
}

bool
mod_silenced_at(const mod_state *m, uint64_t id, uint64_t hlc, uint64_t sender)
{
	const mod_target *t = find(m, id);
	const mod_ballot *best = NULL;

	if (t == NULL || t->sil_hlc == 0)
		return false; /* no silence or unsilence about id ever counted */
	for (int i = 0; i < m->nb; i++) {
		const mod_ballot *b = &m->b[i];
		if (!b->counts || b->d.target != id ||
		    (b->d.op != MOD_SILENCE && b->d.op != MOD_UNSILENCE) ||
		    !majority(b, votes_at(b, hlc, sender, true)))
			continue;
		if (best == NULL || hist_cmp(b->hlc, b->author, best->hlc, best->author) > 0)
			best = b;
	}
	return best && best->d.op == MOD_SILENCE;
}

const mod_target *
mod_removed(const mod_state *m, uint64_t id)
{
	const mod_target *t = find(m, id);

	return t && t->removed ? t : NULL;
}

const mod_target *
mod_removed_nick(const mod_state *m, const char *nick)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].removed &&
		    nick_same(m->v[i].nick, nick))
			return &m->v[i];
	return NULL;
}

int
mod_count_silenced(const mod_state *m)
{
	int k = 0;

	for (int i = 0; i < m->n; i++)
		k += m->v[i].silenced;
	return k;
}
