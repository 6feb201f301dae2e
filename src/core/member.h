/*
 * member — the membership table of one node: who is in the chat, what this
 * node believes of each (pending, alive, lost, left, rejected), the gossip
 * merge rule, the leader view, and the nickname-claim rule.
 *
 * States of a member, as this node sees it:
 *
 *                 heard                 silent for timeout-ms,
 *     PENDING --------------> ALIVE -------------------------> LOST
 *      ^   |                   |  ^     or its last link broke    |
 *      |   |                   |  `----------- heard -------------'
 *      |   |                   |                                  |
 *      |   |   LEAVE, or a tombstone gossiped, from any of the three
 *      |   `---------------> LEFT, REJECTED <---------------------'
 *      |                          |
 *      `--------------------------'
 *        a restart (a higher incarnation) gossiped or in a HELLO
 *
 * REJECTED marks the junior of two claims on one nick, or a member a
 * directive removed: from any state.  LEFT and REJECTED are tombstones:
 * gossip carries them so that every table converges, and only a higher
 * incarnation of the same id revives the entry.  An entry is born in a
 * state (PENDING or a tombstone, as gossiped; self ALIVE), which is no
 * transition.
 *
 * This table only holds the states and the merge rule; the node makes
 * every change of state, and its side effects (events, links closed,
 * settlement reset), through one function: node_member_set (node_member.c).
 *
 * Rules that every node applies identically (so that nodes sharing a view
 * agree without a vote):
 *  - seniority: (incarnation, id), smaller is more senior;
 *  - leader: the most senior member that is ALIVE (or self);
 *  - nick claim: of two non-tombstone members whose nicks are equal
 *    case-insensitively, the junior loses.
 *
 * Pure: no I/O, no clock.  The table owns its entries.
 */
#ifndef CHORUS_MEMBER_H
#define CHORUS_MEMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "idmap.h"
#include "nick.h"
#include "wire.h"

typedef enum member_state {
	MEMBER_PENDING,  /* known by gossip, not yet heard directly */
	MEMBER_ALIVE,    /* linked and heard within the timeout */
	MEMBER_LOST,     /* was alive; silent or its link broke */
	MEMBER_LEFT,     /* left gracefully (tombstone) */
	MEMBER_REJECTED, /* lost a nick claim (tombstone) */
} member_state;

typedef struct member {
	uint64_t id;
	uint64_t inc;
	char nick[NICK_MAX + 1];
	char host[WIRE_MAX_HOST + 1];
	uint16_t port;
	member_state state;
	bool self;
	bool shown;          /* a [JOIN] was printed for this member */
	uint64_t last_heard; /* time of the last frame from it */
	uint64_t beat_at;    /* our last periodic heartbeat to it (node_beat.c) */

	/* Link bookkeeping, owned by node_link.c and node_member.c. */
	int nlinks;          /* bound links that are up */
	bool connecting;     /* an outgoing connect is in flight */
	uint64_t next_try;   /* earliest time of the next connect */
	uint64_t backoff;    /* current reconnect delay */
	uint64_t gossip_at;  /* last time a member list was sent to it */

	/* History bookkeeping, owned by node_hist.c. */
	bool reported;       /* a clock report came since its HELLO */
	bool clock_off;      /* its clock is off by more than the bound */
	int64_t clock_skew;  /* our wall clock minus its last report, ms */
	bool vec_seen;       /* a version vector came since its HELLO */
	bool agrees;         /* its last heartbeat's member digest was ours */
	bool flushed;        /* gone, and its records are settled */
	/* The key we share with it for clock reports (node_report.c). */
	bool paired;
	uint8_t pair[32];    /* RELAY_KEY */
	uint64_t gone_at;    /* when it was first seen lost or left, else 0 */
} member;

typedef struct member_table {
	member *v;
	int len;
	int cap;
	unsigned gen;  /* moves on whenever an entry is added or its claim may change */
	idmap index;   /* where each id is in v (entries are only ever added) */
} member_table;

/* What a merge changed, for the caller to turn into events. */
typedef enum member_change {
	MEMBER_SAME,
	MEMBER_ADDED,     /* a new entry */
	MEMBER_RESTARTED, /* same id, higher incarnation */
	MEMBER_DEPARTED,  /* became LEFT or REJECTED */
} member_change;

void member_table_free(member_table *t);

/* Add self as the first entry.  Returns it. */
member *member_add_self(member_table *t, uint64_t id, uint64_t inc,
			const char *nick, const char *host, uint16_t port);

member *member_find(member_table *t, uint64_t id);

/* The self entry (always index 0). */
member *member_self(member_table *t);

/*
 * Merge one entry heard from the network (a hello or a gossiped entry).
 * The entry's nick must already be valid.  *m receives the table entry
 * (NULL when the input was stale).  Self is never changed by a merge.
 * The entry's fields (incarnation, nick, host, port) are taken; its state
 * is not, unless the entry is new: *to receives the state the rule gives
 * it, for the caller to make the transition (MEMBER_DEPARTED: a
 * tombstone; MEMBER_RESTARTED: PENDING when it was a tombstone, else as
 * it was).
 */
member_change member_merge(member_table *t, const wire_member *e, member **m,
			   member_state *to);

/* LEFT and REJECTED: states only a higher incarnation leaves. */
bool member_tombstone(member_state s);

/*
 * A member only remembered from an earlier life (incarnation 0, see
 * node_config.peers): dialled, but not gossiped, not in the digest, and
 * not a nick claim, until it answers with its real incarnation.
 */
bool member_recalled(const member *m);

/* True when m counts as a live member in this node's view. */
bool member_live(const member *m);

/* The most senior live member (never NULL: self is live). */
const member *member_leader(const member_table *t);

/* Number of live members, self included. */
int member_count_live(const member_table *t);

/*
 * The junior of the first pair of claims on one nick, or NULL.  Call
 * repeatedly after marking each loser REJECTED until it returns NULL.
 */
member *member_nick_loser(member_table *t);

/* Digest of (id, incarnation, tombstone status) over all entries. */
uint64_t member_digest(const member_table *t);

/*
 * Fill a MEMBERS message with the table from entry *from on, at most
 * WIRE_MAX_MEMBERS; *from moves past them, and msg's more says whether
 * entries are left for another page.  Start with *from = 0.
 */
void member_gossip(const member_table *t, wire_msg *msg, int *from);

/* The wire status of an entry. */
uint8_t member_wire_status(const member *m);

/* Seniority order: negative when a is more senior than b. */
int member_senior(const member *a, const member *b);

#endif
