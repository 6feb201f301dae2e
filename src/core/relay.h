/*
 * relay — clock reports that reach every member through a few of them.
 *
 * A record is shown when every member has said that its clock passed the
 * record's stamp (node_show.c).  Said directly, that costs the chat n²
 * frames for each round of records.  In a large chat a member tells only
 * the seniors (node_beat.c), and whoever gets such a REPORT passes the
 * latest of each author on to every member, all of them in one RELAY
 * frame per recipient, every NODE_RELAY_MS: about 4n frames a round.
 *
 * A relayer may lie.  So an author tags its report for each recipient
 * with a key only the two of them hold: BLAKE2b keyed by their pair key
 * (from X25519 of their identity keys, sign.h) over the author, its
 * incarnation, the recipient, the clock and the sequence number.  A
 * relayer can drop or delay a report; it cannot make one, change one or
 * give one to another recipient.  A replayed report says nothing new
 * (reports only move clocks forward), and one from an earlier
 * incarnation fails its tag.
 *
 * The relay below holds what a node got to pass on: per author its latest
 * report, with the tags sorted by recipient.  Pure; the caller owns it.
 */
#ifndef CHORUS_RELAY_H
#define CHORUS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sign.h"
#include "wire.h"

#define RELAY_KEY 32
/* The most tags one author's report may hold here (a lying author's bound). */
#define RELAY_MAX_TAGS 4096

/*
 * key = what we (our_pk, our_sk) share with the holder of their_pk, the
 * same at both ends.  False when their_pk is not a usable key.
 */
bool relay_pair_key(uint8_t key[RELAY_KEY], const uint8_t our_pk[SIGN_PK],
		     const uint8_t our_sk[SIGN_SK], const uint8_t their_pk[SIGN_PK]);

/* The tag of author's report (hlc, seq) in incarnation inc, for recipient. */
uint64_t relay_report_tag(const uint8_t key[RELAY_KEY], uint64_t author, uint64_t inc,
		    uint64_t recipient, uint64_t hlc, uint64_t seq);

/* One author's latest report, to pass on. */
typedef struct report_held {
	uint64_t author;
	uint64_t hlc;
	uint64_t seq;
	wire_tag *tags; /* sorted by recipient; owned */
	int ntags;
	int cap;
} report_held;

typedef struct relay {
	report_held *v; /* the first len hold reports; the rest keep their arrays */
	int len;
	int cap;
} relay;

/*
 * Take n tags of author's report (hlc, seq): a later report replaces the
 * one held, the same one (another page) adds to it, an earlier one is
 * ignored.  The caller keeps out tags for recipients it does not know.
 */
void relay_take(relay *r, uint64_t author, uint64_t hlc, uint64_t seq, const wire_tag *tags,
		size_t n);
/* h's tag for recipient: true and *tag, or false. */
bool relay_tag(const report_held *h, uint64_t recipient, uint64_t *tag);
/* Forget the reports held (passed on); their arrays are kept for reuse. */
void relay_clear(relay *r);
void relay_free(relay *r);

#endif
