/*
 * secret — where a node's chat secret comes from, and when it is kept.
 *
 * In order: the file named by --secret-file, the environment variable
 * CHORUS_SECRET, the file "secret" in the data directory (mode 0600).  A
 * node that has none and starts a new chat (no --join, no members
 * remembered) makes one: 32 random bytes in hex.  A joiner without a
 * secret cannot join: exit 5.
 *
 * Finding writes nothing.  The secret is kept in the data directory, so
 * that a restart needs it no more, only once it is known to be the chat's:
 * at once when the node makes the chat (a made secret is announced then,
 * with how others join), else when a member completes the handshake with
 * it.  A secret that was refused, or given to a node that never got in, is
 * never kept; and one that the store says was kept but is gone from the
 * directory is refused (exit 1), never replaced by a new chat's.
 */
#ifndef CHORUS_SECRET_H
#define CHORUS_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "failure.h"
#include "seal.h"

#define SECRET_MAX 4096
#define SECRET_CHECK 32 /* bytes of a secret's check value */

/* A secret found, held until it is kept; secret_wipe forgets it. */
typedef struct secret {
	char s[SECRET_MAX + 1];
	size_t len;
	bool made; /* made here for a new chat, not yet announced */
	bool kept; /* the data directory holds it already */
} secret;

/*
 * Find (or, new_chat, make) the secret for the node in dir, writing
 * nothing.  new_chat: this node would start a chat of its own.  was_kept:
 * the store says dir held the chat's secret; finding it missing or empty
 * there is then refused.  0, or the exit code with why in *f (1 I/O or a
 * missing kept secret, 2 usage, 5 no secret); out holds nothing then.
 */
int secret_find(secret *out, const char *dir, const char *file, bool new_chat, bool was_kept,
		failure *f);

/*
 * Derive the secret's key into psk, and its check value (a keyed BLAKE2b
 * hash, for the IRC gateway's PASS) into check.  0, or 1 with why in *f
 * (out of memory).
 */
int secret_derive(const secret *s, uint8_t psk[SEAL_KEY], uint8_t check[SECRET_CHECK],
		  failure *f);

/*
 * Keep s in dir/secret (mode 0600, through a temporary file, fsynced)
 * unless it is there already; a made secret is announced on stderr.
 * Then s is wiped, whatever the outcome.  0, or 1 with why in *f.
 */
int secret_keep(secret *s, const char *dir, failure *f);

/* Forget the secret (zeroed). */
void secret_wipe(secret *s);

/* The check value of a secret given as a password. */
void secret_check_of(const char *s, size_t len, uint8_t check[SECRET_CHECK]);

#endif
