/*
 * guest — chat users who are not nodes: the IRC gateway's clients.
 *
 * A guest is attached to one node, its host, which writes the guest's
 * presence and lines into the history as records of its own (signed and
 * chained like the host's chat), carrying the guest's nick:
 *
 *   HIST_GUEST_JOIN  text "PREV INC": a session of the nick begins on the
 *                    host, in the host's life INC (its incarnation, 16 hex
 *                    digits: a later life has lost the session); PREV is
 *                    the host whose session of the same nick it takes
 *                    over (16 hex digits), or "-".
 *   HIST_GUEST_PART  text: why it ended ("quit", "nick clash", ...).
 *   HIST_GUEST_CHAT  text "TAG TEXT": a line; TAG names the line for the
 *                    client that sent it ("-" when none), so that a client
 *                    resending after a failover is not shown twice.
 *
 * A session is (host, nick): a host holds at most one per nick.  The user
 * is the nick: a client that comes back under the same nick through
 * another node takes the session over and is the same user again.  A
 * takeover ends the session it names only if that session's join is
 * earlier in history order than the takeover's (a later join is a new
 * session the taker never saw): so the table is the same whatever order
 * the hosts' records come in.  Two sessions of one nick that do not take
 * each other over clash (they were opened on two sides of a partition):
 * the one whose join is later in history order loses, and its host
 * renames it.
 *
 * Pure: no I/O, no clock.  The table owns its entries.
 */
#ifndef CHORUS_GUEST_H
#define CHORUS_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

#define GUEST_TAG_MAX 32

typedef struct guest {
	char nick[NICK_MAX + 1];
	uint64_t host;     /* the node it is attached to */
	uint64_t hlc;      /* its join record's stamp (the key is hlc, host) */
	uint64_t first_hlc; /* the stamp of its host's first join of the nick */
	uint64_t prev;     /* the host it took the nick over from, or 0 */
	uint64_t inc;      /* the host's incarnation when it opened the session */
	bool active;       /* joined and not parted nor taken over */
	bool lost;         /* shown as [LOST] (its host is unreachable) */
	uint64_t part_hlc; /* its part record's stamp, once parted */
} guest;

/*
 * The latest takeover of (host, nick) by another host: kept apart from
 * the sessions, since it may come before the join it ends, and the
 * taker's later joins overwrite its session.
 */
typedef struct guest_over {
	char nick[NICK_MAX + 1];
	uint64_t host; /* the host taken over from */
	uint64_t hlc;  /* the takeover join's key: (hlc, by) */
	uint64_t by;
} guest_over;

typedef struct guest_table {
	guest *v;
	int n;
	int cap;
	guest_over *over;
	int nover;
	int capover;
} guest_table;

void guest_table_free(guest_table *t);

/* The id that moderation knows a guest by: a hash of its folded nick. */
uint64_t guest_id(const char *nick);

/* The session (host, nick), active or not; NULL when never seen. */
guest *guest_find(guest_table *t, uint64_t host, const char *nick);
/* The earliest active session of nick other than on host skip (0: any). */
guest *guest_other(guest_table *t, const char *nick, uint64_t skip);
/*
 * Fold a HIST_GUEST_JOIN record in.  Returns the session (inactive if a
 * takeover later than it was folded already); *displaced receives the
 * session it took over (now inactive), or NULL.  The outcome does not
 * depend on the order in which hosts' records are folded (each host's own
 * in its order).
 */
guest *guest_join(guest_table *t, const hist_rec *r, guest **displaced);
/* Fold a HIST_GUEST_PART record in: the session, or NULL if unknown. */
guest *guest_part(guest_table *t, const hist_rec *r);

/*
 * Whether mine must yield to other, two active sessions of one nick on
 * two hosts: it was taken over by other, or the two clash and mine joined
 * later.  Every node decides alike.
 */
bool guest_yields(const guest *mine, const guest *other);

/* Join text: a takeover of prev's session (0: none) in life inc.  buf: 34+ bytes. */
size_t guest_join_text(uint64_t prev, uint64_t inc, char *buf, size_t cap);
/* Parse a join text; false when malformed. */
bool guest_join_parse(const char *text, size_t len, uint64_t *prev, uint64_t *inc);
/* A tag is 1-32 letters, digits, '.', '-', '_' or ':'. */
bool guest_tag_ok(const char *tag, size_t len);
/*
 * Split a chat text into tag and line.  An empty tag when there is none
 * ("-").  False when malformed.
 */
bool guest_chat_parse(const char *text, size_t len, const char **tag, size_t *tag_len,
		      const char **line, size_t *line_len);

/*
 * Tags recently shown, to show a resent line once: a bounded set (the
 * oldest are forgotten first).
 */
#define GUEST_SEEN_MAX 4096
typedef struct guest_seen {
	uint64_t ring[GUEST_SEEN_MAX];
	int next;
	int n;
} guest_seen;

/* Remember (nick, tag); false when it was seen already. */
bool guest_seen_add(guest_seen *s, const char *nick, const char *tag, size_t tag_len);

#endif
