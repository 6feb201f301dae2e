/*
 * mod — moderation: the leader's directives as records of the history, the
 * endorsements that make them count, and the state they add up to.
 *
 * A directive is a record of kind HIST_DIRECTIVE whose text names the
 * operation, the member it concerns and its author's voters: "silence
 * <id> <nick> <voter> <voter> ..." (likewise unsilence, remove, readmit;
 * ids in 16 hex digits, the voters sorted).  The voters are the members its
 * author counted in the chat when it issued it: itself and every member
 * alive or lost, not those who left or were rejected.
 *
 * A directive counts only once a majority of its voters stand behind it:
 * its author, and each voter that wrote an endorsement record (kind
 * HIST_ENDORSE, text "endorse <author> <seq>", both in 16 hex digits).
 * The voters must be at least two, and include the target when it is a
 * member in the chat, so that no author can name itself its only voter.
 * An honest node endorses a directive only when its author is the leader
 * in its own view and the voters name every member it counts itself
 * (node_mod.c); the fold here trusts nobody's view, it only counts.  So a
 * member that is not the leader, or a leader cut off with a minority, has
 * nobody to endorse it, and its directives are held but change nothing.
 *
 * The state is a fold over the directives that count: for each member,
 * whether it is silenced is decided by the latest silence/unsilence
 * directive about it in history order (stamp, author), and whether it is
 * removed by the latest remove/readmit one.  Whether a directive counts
 * depends only on the set of records held, and the latest in history order
 * does not depend on the order they arrive in, so every node that holds
 * the same records enforces the same state -- conflicting directives from
 * two leaders of a healed partition included.  A line is judged by the
 * state at its own place in history order (mod_silenced_at), so it does not
 * matter how many of the records after it a node holds when it shows it.
 */
#ifndef CHORUS_MOD_H
#define CHORUS_MOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

enum mod_op { MOD_SILENCE = 1, MOD_UNSILENCE, MOD_REMOVE, MOD_READMIT };

#define MOD_MAX_VOTERS 128   /* as many as a member list holds */
#define MOD_MAX_BALLOTS 4096 /* directives the fold keeps count of */

typedef struct mod_directive {
	int op;
	uint64_t target;
	char nick[NICK_MAX + 1];
	int nvoters;
	uint64_t voters[MOD_MAX_VOTERS]; /* ascending, no repeats */
} mod_directive;

/* One voter's endorsement: who, and its record's place in history order. */
typedef struct mod_vote {
	uint64_t id;
	uint64_t hlc;
} mod_vote;

/* A directive (held, or known only from endorsements of it) and its votes. */
typedef struct mod_ballot {
	uint64_t author, seq;   /* the directive's record */
	uint64_t hlc;
	bool held;              /* the directive itself is here: d, by are set */
	bool counts;            /* a majority of its voters stand behind it */
	mod_directive d;
	char by[NICK_MAX + 1];  /* its author's nick */
	mod_vote *votes;        /* the endorsements, one per voter, earliest kept */
	int nvotes;
	int capvotes;
} mod_ballot;

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
	mod_ballot *b;
	int nb;
	int capb;
} mod_state;

void mod_free(mod_state *m);

/*
 * A directive's record text into buf (NUL-terminated); returns its length,
 * 0 when it does not fit (cap: 64 + NICK_MAX + 17 * MOD_MAX_VOTERS is
 * enough for any).
 */
size_t mod_encode(const mod_directive *d, char *buf, size_t cap);
/* Parse a directive's text; false when it is not one. */
bool mod_decode(const char *text, size_t len, mod_directive *out);

/* An endorsement's text of the directive (author, seq); its length. */
size_t mod_endorse_encode(uint64_t author, uint64_t seq, char *buf, size_t cap);
bool mod_endorse_decode(const char *text, size_t len, uint64_t *author, uint64_t *seq);

/* Whether id is one of d's voters. */
bool mod_is_voter(const mod_directive *d, uint64_t id);

/*
 * Fold a directive or endorsement record in.  Returns the operation when
 * r made its directive count and the directive decides the state (it is
 * the latest so far), 0 when nothing was decided (not a majority yet, a
 * later directive decided already, or a repeat), -1 when r is neither.
 * When r is valid and its directive is held, *out is the directive and
 * by its author's nick (by: NICK_MAX + 1 bytes; either may be NULL).
 */
int mod_apply(mod_state *m, const hist_rec *r, mod_directive *out, char *by);

/*
 * Whether r (a directive or an endorsement) is the record at which its
 * directive came to count, in history order: the votes at or before r's
 * place are a majority, those before it were not.  Every node that shows
 * the same records in the same order finds the same one.
 */
bool mod_tipped(const mod_state *m, const hist_rec *r, mod_directive *out, char *by);

/* Whether id is silenced now: by every directive that counts. */
bool mod_silenced(const mod_state *m, uint64_t id);
/*
 * Whether id is silenced at history place (hlc, sender): by the latest
 * silence/unsilence directive about it that had come to count before that
 * place -- its author's and its voters' records strictly before it are a
 * majority.  A function of the records that sort before the place, so a
 * line is judged alike on every node that holds them, however many of the
 * records after it (a late endorsement) each has taken by then.
 */
bool mod_silenced_at(const mod_state *m, uint64_t id, uint64_t hlc, uint64_t sender);
/* The removed member with this id, or with this nick (any case); or NULL. */
const mod_target *mod_removed(const mod_state *m, uint64_t id);
const mod_target *mod_removed_nick(const mod_state *m, const char *nick);
int mod_count_silenced(const mod_state *m);

/* "silence" ...; and "silenced" ... for the [MOD] line. */
const char *mod_command(int op);
const char *mod_verb(int op);

#endif
