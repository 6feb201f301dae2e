/* mod — see mod.h. */
#include "mod.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	free(m->v);
	*m = (mod_state){0};
}

size_t
mod_encode(const mod_directive *d, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s %016" PRIx64 " %s", mod_command(d->op), d->target, d->nick);

	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

bool
mod_decode(const char *text, size_t len, mod_directive *out)
{
	char buf[16 + 1 + 16 + 1 + NICK_MAX + 1], word[16], nick[NICK_MAX + 1], tail;
	unsigned long long id;

	if (len >= sizeof buf)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (sscanf(buf, "%15s %16llx %32s%c", word, &id, nick, &tail) != 3 || id == 0 ||
	    nick_check(nick, strlen(nick)) != NULL)
		return false;
	for (int op = MOD_SILENCE; op <= MOD_READMIT; op++)
		if (strcmp(word, commands[op]) == 0) {
			*out = (mod_directive){.op = op, .target = id};
			snprintf(out->nick, sizeof out->nick, "%s", nick);
			return true;
		}
	return false;
}

static mod_target *
target(mod_state *m, uint64_t id)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].id == id)
			return &m->v[i];
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->v = xrealloc(m->v, (size_t)m->cap * sizeof *m->v);
	}
	m->v[m->n] = (mod_target){.id = id};
	return &m->v[m->n++];
}

int
mod_apply(mod_state *m, const hist_rec *r, mod_directive *out)
{
	mod_directive d;

	if (r->kind != HIST_DIRECTIVE || !mod_decode(r->text, r->len, &d))
		return -1;
	if (out)
		*out = d;
	mod_target *t = target(m, d.target);
	snprintf(t->nick, sizeof t->nick, "%s", d.nick);
	bool silence = d.op == MOD_SILENCE || d.op == MOD_UNSILENCE;
	uint64_t *hlc = silence ? &t->sil_hlc : &t->rem_hlc;
	uint64_t *sender = silence ? &t->sil_sender : &t->rem_sender;
	if (hist_cmp(r->hlc, r->sender, *hlc, *sender) <= 0)
		return 0; /* a later directive decided it already */
	*hlc = r->hlc;
	*sender = r->sender;
	if (silence) {
		t->silenced = d.op == MOD_SILENCE;
	} else {
		t->removed = d.op == MOD_REMOVE;
		snprintf(t->remover, sizeof t->remover, "%s", r->nick);
	}
	return d.op;
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
