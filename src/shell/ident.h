/*
 * ident — the node's data directory, its store, and its identity in it.
 *
 * The directory (mode 0700) holds the store (history.db, mode 0600), and
 * the store holds the node's Ed25519 key pair, its id (derived from the
 * public key: sign_id) and its nick.  A node restarted with the same
 * directory is the same member.  A store is never made over one that is
 * there: an emptied or damaged history.db is refused, not replaced by a
 * new identity.
 */
#ifndef CHORUS_IDENT_H
#define CHORUS_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "failure.h"
#include "store.h"

typedef struct ident {
	char dir[4096];
	store_identity who;  /* id, nick, signing keys */
	store *store;  /* open, or NULL before ident_create; the caller closes it */
} ident;

/*
 * Name the data directory (dir, or NULL: the default) for nick and, when
 * it holds a store, open it (store_open's checks) and read the identity.
 * A directory without a store is left as it is (out->store NULL): nothing
 * is created until ident_create, so that a start that fails before it
 * leaves no trace.  0, or the exit code with why in *f: 1 for I/O and a
 * store refused as damaged, 2 when the directory belongs to another nick
 * or none can be named.
 */
int ident_open(ident *out, const char *dir, const char *nick, failure *f);

/*
 * After ident_open found no store: make the directory (mode 0700, and its
 * parents) and a store holding a new identity for nick.  0, or the exit
 * code (1) with why in *f.
 */
int ident_create(ident *out, const char *nick, failure *f);

#endif
