/*
 * hist — the replicated history's records and its in-memory state.
 *
 * A record is one chat message (or directive, or a guest's presence or
 * line, see guest.h): its author (sender id), the author's
 * sequence number (1, 2, ... with no gaps), a hybrid logical clock stamp
 * and the text.  The history order is (hlc, sender): every node that holds
 * the same records holds them in the same order, so a digest of the set is
 * a digest of the ordered history.
 *
 * Hybrid logical clock stamps are ms << 16 | counter: the physical part is
 * the author's wall clock in milliseconds, the counter breaks ties and
 * carries causality when a clock lags behind one it has seen.
 */
#ifndef CHORUS_HIST_H
#define CHORUS_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idmap.h"
#include "nick.h"

#define HLC_SHIFT 16
#define HIST_CHAIN 32 /* bytes of a hash chain value (sign.h) */

/* What a record is. */
enum hist_kind {
	HIST_CHAT = 0,      /* a line of chat */
	HIST_DIRECTIVE = 1, /* a leader's directive (mod.h): its text says which */
	HIST_GUEST_CHAT = 2, /* a guest's line, written by its host (guest.h) */
	HIST_GUEST_JOIN = 3, /* a guest's session begins on its host */
	HIST_GUEST_PART = 4, /* ... and ends */
	HIST_ENDORSE = 5,   /* a member stands behind a directive (mod.h) */
	HIST_KIND_MAX = HIST_ENDORSE,
};

/* Whether a record of this kind is a guest's (guest.h). */
static inline bool
hist_is_guest(int kind)
{
	return kind >= HIST_GUEST_CHAT && kind <= HIST_GUEST_PART;
}

/* Whether a record of this kind is moderation's (mod.h). */
static inline bool
hist_is_mod(int kind)
{
	return kind == HIST_DIRECTIVE || kind == HIST_ENDORSE;
}

typedef struct hist_rec {
	uint64_t sender;         /* the author's id */
	uint8_t kind;            /* enum hist_kind */
	uint64_t seq;            /* the author's sequence number, from 1 */
	uint64_t hlc;            /* the author's clock when it wrote it */
	char nick[NICK_MAX + 1]; /* the author's nick then */
	const char *text;        /* not NUL-terminated; owned by whoever passes it */
	size_t len;
} hist_rec;

/* A visitor over records; return false to stop early. */
typedef bool hist_visit(void *arg, const hist_rec *r);

/* The wall-clock milliseconds of a stamp. */
static inline uint64_t
hlc_ms(uint64_t hlc)
{
	return hlc >> HLC_SHIFT;
}

/* A stamp for a local event: later than last and not behind the wall clock. */
static inline uint64_t
hlc_tick(uint64_t last, uint64_t wall_ms)
{
	uint64_t phys = wall_ms << HLC_SHIFT;

	return phys > last ? phys : last + 1;
}

/* The clock after seeing a remote stamp: later than both. */
static inline uint64_t
hlc_seen(uint64_t last, uint64_t remote)
{
	return remote > last ? remote : last;
}

/* History order: (hlc, sender).  Negative, zero or positive. */
static inline int
hist_cmp(uint64_t hlc_a, uint64_t sender_a, uint64_t hlc_b, uint64_t sender_b)
{
	if (hlc_a != hlc_b)
		return hlc_a < hlc_b ? -1 : 1;
	if (sender_a != sender_b)
		return sender_a < sender_b ? -1 : 1;
	return 0;
}

/*
 * What this node knows of one author: how much of its history it holds,
 * and how far its clock is known to have moved on.  Every record of the
 * author after seq is stamped later than clock, so records at or below
 * clock from others can be shown without waiting for this author.
 */
typedef struct hist_author {
	uint64_t id;
	/*
	 * The author's own nick: that of its first record that is not a guest's
	 * (a record's nick is covered by the author's chain, so every node
	 * holding the author's records agrees on it).
	 */
	char nick[NICK_MAX + 1];
	uint64_t nick_hlc;  /* the stamp of the record that bound it */
	uint64_t seq;       /* records 1..seq are held */
	uint64_t last_hlc;  /* the stamp of record seq */
	uint64_t refused;   /* a record of it broke the rules: its seq (0: none) */
	uint64_t clock;     /* see above */
	uint64_t want_hlc;  /* a clock report that holds ... */
	uint64_t want_seq;  /* ... once records up to this one are held */
	uint64_t sync_to;   /* what members held when we (re)joined */
	uint8_t chain[HIST_CHAIN]; /* the author's hash chain through seq */
	/* Records after seq, held back until a signature covers them. */
	hist_rec *pend;     /* texts owned */
	uint8_t (*pend_chain)[HIST_CHAIN]; /* the chain through each */
	int npend;
	int cappend;
	uint64_t pend_since; /* when the oldest of them came */
	uint32_t pend_link;  /* the link the last of them came on */
	/* A pull of its records from a peer, while one is outstanding. */
	uint32_t pull_link;
	uint64_t pull_to;
	uint64_t pull_deadline;
	uint32_t pull_failed; /* the link whose pull timed out last */
	/* The most a peer's vector showed of it, and that peer (node_sync.c). */
	uint64_t offered;
	uint64_t offered_by;
} hist_author;

/*
 * The in-memory side of the history: the authors, the records held but not
 * shown yet (a heap in history order; the texts are owned copies), and the
 * count and digest of every record held.  The store keeps the records.
 */
typedef struct hist {
	hist_author *authors;  /* in the order first heard of; never removed */
	int nauthors;
	int capauthors;
	idmap index;           /* where each author is in authors */
	hist_rec *heap;
	int nheap;
	int capheap;
	uint64_t count;
	uint64_t digest[2];
	uint64_t shown_hlc;    /* the key of the last record shown */
	uint64_t shown_sender;
} hist;

enum hist_take { HIST_DUP, HIST_GAP, HIST_NEW, HIST_BAD };

void hist_init(hist *h);
void hist_free(hist *h);

hist_author *hist_author_find(hist *h, uint64_t id);
/* Find or add; the nick is set when given (NULL leaves it). */
hist_author *hist_author_get(hist *h, uint64_t id, const char *nick);

/*
 * Of the authors whose first record bound nick (without regard to case),
 * the one whose binding comes first in history order; NULL when none did.
 * A function of the records held: the same on every node holding them.
 */
const hist_author *hist_nick_first(const hist *h, const char *nick);

/*
 * Take a record in: HIST_NEW when it is the author's next one (it is then
 * counted, hashed into the digest, and moves the author's clock),
 * HIST_DUP when it is held already, HIST_GAP when records before it are
 * missing (nothing changes), HIST_BAD when it is the next one but not
 * stamped later than the author's previous record (an author's clock only
 * moves forward; nothing changes, and the author is marked refused: no
 * record of it after this one can be taken, on any node).
 */
int hist_take(hist *h, const hist_rec *r);
/* The author says: my clock is hlc and my last record is seq. */
void hist_report(hist *h, uint64_t id, uint64_t hlc, uint64_t seq);
/* Whether that report would tell us anything we do not know yet. */
bool hist_report_news(hist *h, uint64_t id, uint64_t hlc, uint64_t seq);

/* Keep a copy of r until it is shown. */
void hist_hold(hist *h, const hist_rec *r);
/* Keep r until it is shown, taking its text (malloc'd; r->text becomes NULL). */
void hist_hold_owned(hist *h, hist_rec *r);
/* The held record first in history order, or NULL. */
const hist_rec *hist_first(const hist *h);
/* Drop the first held record (its text is freed); it becomes the shown key. */
void hist_shown(hist *h);
/* Whether r sorts before the last record shown (it comes late). */
bool hist_is_late(const hist *h, const hist_rec *r);

/* Hold r (copied) back, with the chain through it, until it is signed. */
void hist_pend_push(hist_author *a, const hist_rec *r, const uint8_t chain[HIST_CHAIN]);
/* Drop the first k records held back. */
void hist_pend_drop(hist_author *a, int k);

/* The digest as 32 hex digits (buf: at least 33 bytes). */
void hist_digest_hex(const hist *h, char *buf);

#endif
