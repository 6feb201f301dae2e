/*
 * mod — moderation: the leader's directives as records of the history, and
 * the state they add up to.
 *
 * A directive is a record of kind HIST_DIRECTIVE whose text names the
 * operation and the member it concerns: "silence <id> <nick>" (likewise
 * unsilence, remove, readmit; the id in 16 hex digits).  The state is a
 * fold over the directives held: for each member, whether it is silenced
 * is decided by the latest silence/unsilence directive about it in history
 * order (stamp, author), and whether it is removed by the latest
 * remove/readmit one.  The latest in history order does not depend on the
 * order directives arrive in, so every node that holds the same directives
 * enforces the same state -- conflicting directives from two leaders of a
 * healed partition included.
 */
#ifndef CHORUS_MOD_H
#define CHORUS_MOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

enum mod_op { MOD_SILENCE = 1, MOD_UNSILENCE, MOD_REMOVE, MOD_READMIT };

typedef struct mod_directive {
	int op;
	uint64_t target;
	char nick[NICK_MAX + 1];
} mod_directive;

/* What the directives decided about one member. */
typedef struct mod_target {
	uint64_t id;
	char nick[NICK_MAX + 1];
	bool silenced;
	uint64_t sil_hlc, sil_sender;   /* the deciding directive's key */
	bool removed;
	uint64_t rem_hlc, rem_sender;
	char remover[NICK_MAX + 1];     /* who removed it */
} mod_target;

typedef struct mod_state {
	mod_target *v;
	int n;
	int cap;
} mod_state;

void mod_free(mod_state *m);

/* A directive's record text into buf (NUL-terminated); returns its length. */
size_t mod_encode(const mod_directive *d, char *buf, size_t cap);
/* Parse a directive's text; false when it is not one. */
bool mod_decode(const char *text, size_t len, mod_directive *out);

/*
 * Fold a directive record in (r->kind must be HIST_DIRECTIVE).  Returns
 * the operation when it decides the state (the latest so far), 0 when a
 * later directive already decided it, -1 when the text is not a directive.
 */
int mod_apply(mod_state *m, const hist_rec *r, mod_directive *out);

bool mod_silenced(const mod_state *m, uint64_t id);
/* The removed member with this id, or with this nick (any case); or NULL. */
const mod_target *mod_removed(const mod_state *m, uint64_t id);
const mod_target *mod_removed_nick(const mod_state *m, const char *nick);
int mod_count_silenced(const mod_state *m);

/* "silence" ...; and "silenced" ... for the [MOD] line. */
const char *mod_command(int op);
const char *mod_verb(int op);

#endif
