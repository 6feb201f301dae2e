/*
 * sign — who wrote a record: per-author hash chains with signed heads.
 *
 * Every node has a long-term Ed25519 key; its id is the first 64 bits of
 * BLAKE2b-256 of the public key, so anyone can check that a key belongs to
 * an id.  Each author's records form a chain: chain(n) = BLAKE2b-256 of
 * chain(n-1) and record n (author, sequence, stamp, kind, nick, text),
 * chain(0) all zeros; docs/protocol.md gives the bytes.  After a batch of
 * records the author signs (author, last sequence, chain) once.  A
 * receiver holds records back until a signature covers them and the chain
 * it computed from the records ends where the signature says: one Ed25519
 * check per batch, however the records came (from the author, or relayed
 * from a store), and no member can change, add or drop another member's
 * records.
 *
 * Pure; libsodium's signing is deterministic.
 */
#ifndef CHORUS_SIGN_H
#define CHORUS_SIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

#define SIGN_PK 32
#define SIGN_SK 64
#define SIGN_SIG 64
#define SIGN_CHAIN HIST_CHAIN

/* A signed chain head: records 1..seq of sender end in chain. */
typedef struct hist_sig {
	uint64_t sender;
	uint64_t seq;
	uint8_t chain[SIGN_CHAIN];
	uint8_t pk[SIGN_PK];
	uint8_t sig[SIGN_SIG];
} hist_sig;

/* The id that belongs to a public key (never 0). */
uint64_t sign_id(const uint8_t pk[SIGN_PK]);

/* chain = BLAKE2b-256(chain || r): the chain through r. */
void sign_chain(uint8_t chain[SIGN_CHAIN], const hist_rec *r);

/* Sign s->sender, s->seq and s->chain with sk (s->pk must be its key). */
void sign_head(hist_sig *s, const uint8_t sk[SIGN_SK]);

/* Whether s is signed by s->pk, and s->pk is s->sender's key. */
bool sign_check(const hist_sig *s);

/*
 * A link's identity proof: the signature of the session's binding
 * (seal.h), which names one session only.
 */
void sign_proof(uint8_t proof[SIGN_SIG], const uint8_t binding[SIGN_CHAIN],
		const uint8_t sk[SIGN_SK]);
/* Whether proof is id's: pk belongs to id and signed binding. */
bool sign_proof_check(const uint8_t proof[SIGN_SIG], const uint8_t binding[SIGN_CHAIN],
		      const uint8_t pk[SIGN_PK], uint64_t id);

#endif
