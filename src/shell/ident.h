/*
 * ident — the node's data directory, its store, and its identity in it.
 *
 * The directory (mode 0700) holds the store (history.db, mode 0600), and
 * the store holds the node's Ed25519 key pair, its id (derived from the
 * public key: sign_id) and its nick.  A node restarted with the same
 * directory is the same member.
 */
#ifndef CHORUS_IDENT_H
#define CHORUS_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct ident {
	char dir[4096];
	store_identity who;  /* id, nick, signing keys */
	store *store;  /* open on success; the caller closes it */
} ident;

/*
 * Open or create the data directory dir (NULL: the default) for nick, its
 * store, and the identity in it.  On failure prints why on stderr and
 * returns the exit code (1 for I/O, 2 when the directory belongs to
 * another nick, or no directory can be named); 0 on success.
 */
int ident_open(ident *out, const char *dir, const char *nick);

#endif
