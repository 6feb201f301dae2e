/*
 * seal — the security of one link: a handshake that proves both ends know
 * the chat's secret and agrees on fresh keys, then authenticated
 * encryption of everything sent.
 *
 * Pure: no randomness is drawn here; the shell passes 32 random bytes to
 * seal_init.  The handshake, on a link just opened, either side first:
 *
 *   HELLO    "CHORUS-1" and an ephemeral X25519 public key (40 bytes),
 *            sent in the clear by both sides at once;
 *   CONFIRM  the first sealed record, sent by each side once it has the
 *            other's HELLO.
 *
 * Keys: the secret's key is Argon2id of the secret (seal_psk); then
 * BLAKE2b-512 keyed with it, over the X25519 shared
 * point and both public keys (the smaller first); the side with the
 * smaller key sends with the first half, receives with the second.  Only
 * someone who knows the secret derives them, so a CONFIRM that opens
 * proves the peer knows it; a relay in the middle that lacks the secret
 * can pass bytes along but neither read nor change them.
 *
 * Records: ChaCha20-Poly1305 (IETF) under the sender's key, the nonce a
 * counter that starts at 0 with the CONFIRM; the receiver expects each
 * number exactly once, in order, so a replayed, dropped, reordered or
 * altered record fails to open and the link is closed.  A record carries
 * any number of whole frames (one loop pass's worth), so the cost is one
 * AEAD per write, not per message.
 */
#ifndef CHORUS_SEAL_H
#define CHORUS_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY 32
#define SEAL_HELLO 40          /* magic 8 + public key 32 */
#define SEAL_TAG 16            /* added to every record */
#define SEAL_MAX_PLAIN (128 * 1024) /* a record's plaintext, at most */

typedef enum seal_state {
	SEAL_WAIT_HELLO,   /* our HELLO is out; waiting for the peer's */
	SEAL_WAIT_CONFIRM, /* keys derived, our CONFIRM out; waiting for theirs */
	SEAL_OPEN,         /* both proved: records flow */
	SEAL_FAILED,       /* the link must be closed */
} seal_state;

enum seal_error {
	SEAL_EBADHELLO = -1, /* not a HELLO: wrong size or magic, or a weak key */
	SEAL_EREFLECT = -2,  /* our own HELLO sent back to us */
	SEAL_EAUTH = -3,     /* a record that does not open: wrong secret, or
			      * altered, replayed or reordered */
	SEAL_ESTATE = -4,    /* a message out of turn */
	SEAL_ESIZE = -5,     /* a record too large or too small */
};

typedef struct seal {
	seal_state state;
	uint8_t psk[SEAL_KEY];
	uint8_t sk[SEAL_KEY];  /* ephemeral secret key */
	uint8_t pk[SEAL_KEY];  /* ephemeral public key */
	uint8_t tx[SEAL_KEY];
	uint8_t rx[SEAL_KEY];
	uint64_t tx_n;
	uint64_t rx_n;
	uint8_t binding[SEAL_KEY]; /* names this session: both ends agree on it */
} seal;

#define SEAL_PSK_OPS 2                   /* Argon2id passes for the secret's key */
#define SEAL_PSK_MEM (8 * 1024 * 1024)   /* and its memory */

/* The 32-byte key of a chat secret (any bytes, any length); 0, or -1 out of memory. */
int seal_psk(const void *secret, size_t len, uint8_t psk[SEAL_KEY]);

/* Start a link's handshake; random: 32 fresh random bytes. */
void seal_init(seal *s, const uint8_t psk[SEAL_KEY], const uint8_t random[SEAL_KEY]);
/* Erase the keys. */
void seal_wipe(seal *s);

/* Our HELLO (SEAL_HELLO bytes) into out. */
void seal_hello(const seal *s, uint8_t out[SEAL_HELLO]);

/*
 * The peer's HELLO arrived: derive the keys.  Then send a CONFIRM
 * (seal_confirm).  0 or a seal_error (the state is then FAILED).
 */
int seal_on_hello(seal *s, const uint8_t *msg, size_t len);

/*
 * After the HELLOs, s->binding is BLAKE2b-256 of both ephemeral public
 * keys (lower first): the same at both ends, different for every session.
 * A node signs it with its identity key to prove who is at this end (a
 * relay that holds the secret cannot pass one session's proof off in
 * another).
 */

/* Our CONFIRM record into out (SEAL_TAG + 8 bytes); returns its length. */
size_t seal_confirm(seal *s, uint8_t *out);

/*
 * A record arrived.  While waiting for the CONFIRM: it must be one
 * (then OPEN, *plain_len = 0).  When OPEN: opened into plain (room for
 * len - SEAL_TAG bytes).  0 or a seal_error (FAILED).
 */
int seal_open(seal *s, const uint8_t *rec, size_t len, uint8_t *plain, size_t *plain_len);

/*
 * Seal plain (len <= SEAL_MAX_PLAIN) into out (len + SEAL_TAG bytes);
 * returns the record's length, or 0 (nothing written) unless the keys are
 * agreed (WAIT_CONFIRM or OPEN).
 */
size_t seal_close(seal *s, const uint8_t *plain, size_t len, uint8_t *out);

const char *seal_strerror(int err);

#endif
