/*
 * secret — where a node's chat secret comes from.
 *
 * In order: the file named by --secret-file, the environment variable
 * CHORUS_SECRET, the file "secret" in the data directory (mode 0600).  A
 * secret given either of the first two ways is also kept in the data
 * directory, so that a restart needs it no more.  A node that has none and
 * starts a new chat (no --join, no members remembered) makes one: 32
 * random bytes in hex, written to the data directory, and says on stderr
 * how others join.  A joiner without a secret cannot join: exit 5.
 */
#ifndef CHORUS_SECRET_H
#define CHORUS_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"

#define SECRET_MAX 4096
#define SECRET_CHECK 32 /* bytes of a secret's check value */

/*
 * Find or make the secret for the node in dir and derive its key into
 * psk, and its check value (a keyed BLAKE2b hash, for the IRC gateway's
 * PASS) into check.  new_chat: this node would start a chat of its own.
 * On failure prints why and returns the exit code (1 I/O, 2 usage, 5 no
 * secret).
 */
int secret_load(const char *dir, const char *file, bool new_chat, uint8_t psk[SEAL_KEY],
		uint8_t check[SECRET_CHECK]);
/* The check value of a secret given as a password. */
void secret_check_of(const char *s, size_t len, uint8_t check[SECRET_CHECK]);

#endif
