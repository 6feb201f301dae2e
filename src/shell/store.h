/*
 * store — the node's history on disk, in DIR/history.db (SQLite).
 *
 * The replicated history outlives the process: a node restarted with the
 * same data directory still holds every record it had committed, and knows
 * how far it had shown the history (the mark), so it neither loses nor
 * repeats lines.  It also keeps the node's identity (id and nick) and where
 * the members it met can be reached, so that a restart needs no --join.  This is the only module that includes sqlite3.h.
 *
 * Writes go into one transaction, begun by the first write and ended by
 * store_commit: the caller batches a loop pass's records and commits once,
 * before it acknowledges or shows them.  A commit is durable (WAL journal,
 * synchronous=FULL).  Whatever was not committed is gone after a close or a
 * crash, and a failed write or commit rolls the whole transaction back, so
 * the file never holds half a batch.
 *
 * Damage is refused, not worked around: store_open checks the whole file
 * and refuses one that is emptied, damaged or without an identity, and a
 * read that fails later is an error like a failed write (the caller stops).
 *
 * Reads visit records in place: the hist_rec a visitor gets points into
 * SQLite's memory and is valid only during that call.  A visitor must not
 * call into the same store.  A store is used by one thread.
 *
 * Errors: functions return -1 (or NULL) and store_error() says why,
 * naming the directory and giving SQLite's message.
 */
#ifndef CHORUS_STORE_H
#define CHORUS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "node.h"

typedef struct store store;

/* Who the node is: its id, nick and signing key pair. */
typedef struct store_identity {
	uint64_t id;
	char nick[NICK_MAX + 1];
	uint8_t pk[SIGN_PK];
	uint8_t sk[SIGN_SK];
} store_identity;

/*
 * Whether dir holds a store (DIR/history.db): 1 yes, 0 no (dir missing
 * too), -1 when that cannot be told, with why in err (errlen bytes).
 */
int store_exists(const char *dir, char *err, size_t errlen);

/*
 * Create DIR/history.db (mode 0600) holding the identity who, whole or not
 * at all: it is built as DIR/history.db.new and renamed into place.  dir
 * must exist and hold no store.  Then opened as by store_open.  On failure
 * writes why into err and returns NULL.
 */
store *store_create(const char *dir, const store_identity *who, char *err, size_t errlen);

/*
 * Open the existing DIR/history.db.  Refused (NULL, and err says what is
 * wrong, naming the file, and what to do) without a write to it: an empty
 * file, one that fails SQLite's integrity check, one Chorus did not write
 * (or a newer Chorus did), one without an identity.  Then the store proves
 * it can be written (its log checkpointed and emptied, one small write
 * committed): a store that cannot (a full disk) is refused here, before
 * the node starts, with SQLite's and the system's message.  The caller
 * owns the store and frees it with store_close.
 */
store *store_open(const char *dir, char *err, size_t errlen);

/*
 * Roll back the open transaction, if any, close the file and free s.
 * NULL is a no-op.
 */
void store_close(store *s);

/*
 * Add a record to the open transaction (begun here if there is none).  The
 * store copies what it needs; r stays the caller's.  A record whose
 * (sender, seq) is already stored is ignored: that is not an error.
 * Returns 0, or -1 with store_error set and the transaction rolled back.
 */
int store_put(store *s, const hist_rec *r);

/*
 * Remember the delivery frontier, the history key (hlc, sender) of the
 * last record shown, in the open transaction (begun here if there is
 * none).  Returns 0, or -1 like store_put.
 */
int store_set_mark(store *s, uint64_t hlc, uint64_t sender);

/*
 * Read the mark into *hlc and *sender, as the open transaction sees it;
 * both 0 when none was ever set.  Returns 0, or -1 with store_error set.
 */
int store_get_mark(store *s, uint64_t *hlc, uint64_t *sender);


/* The node's identity: 1 when one was stored, 0 when none, -1 with store_error set. */
int store_get_identity(store *s, store_identity *out);
/* Store the identity, in the open transaction.  0, or -1 like store_put. */
int store_set_identity(store *s, const store_identity *id);

/*
 * Whether the data directory was given the chat's secret to keep (secret.h):
 * 1 yes, 0 not yet, -1 with store_error set.  A new store says 0; one
 * written before Chorus recorded it says 1.
 */
int store_secret_kept(store *s);
/* Record that it was, in the open transaction.  0, or -1 like store_put. */
int store_set_secret_kept(store *s);

/*
 * The node's incarnation as it last told it (node.h store_inc): 0 when
 * none was stored.  0, or -1 with store_error set.
 */
int store_get_inc(store *s, uint64_t *inc);
/* Store it, in the open transaction.  0, or -1 like store_put. */
int store_set_inc(store *s, uint64_t inc);

/* Keep a signed chain head, in the open transaction.  0, or -1 like store_put. */
int store_put_sig(store *s, const hist_sig *sig);
/* The first signature of sender at or after seq: 1 and *out, 0 none, -1 error. */
int store_sig_at(store *s, uint64_t sender, uint64_t seq, hist_sig *out);

/*
 * Remember a member and where it was reached, and when (seen: any
 * increasing clock), in the open transaction.  0, or -1 like store_put.
 */
int store_put_peer(store *s, const node_peer *p, uint64_t seen);
/*
 * Up to max members remembered, most recently seen first.  Returns how
 * many, or -1 with store_error set.
 */
int store_peers(store *s, node_peer *out, int max);

/*
 * Make the open transaction durable; 0 at once when none is open.  On
 * failure (disk full, I/O error) the transaction is rolled back, nothing
 * of it reaches the file, and -1 is returned with store_error set.
 */
int store_commit(store *s);

/* True while a transaction is open: there are writes not yet committed. */
bool store_dirty(const store *s);

/*
 * Visit up to max records of sender with seq >= from, in ascending seq,
 * open transaction included.  Returns the number visited (the one on which
 * fn returned false counts), or -1 with store_error set.
 */
int store_range(store *s, uint64_t sender, uint64_t from, int max, hist_visit *fn,
		void *arg);

/*
 * Visit the last n records in history order (the n greatest (hlc, sender)
 * keys), oldest first.  Returns the number visited or -1.
 */
int store_recent(store *s, int n, hist_visit *fn, void *arg);

/* Visit every record in history order.  Returns the number visited or -1. */
int store_scan(store *s, hist_visit *fn, void *arg);

/*
 * Lines typed that are not records yet (SPEC 5.10, node.h store_pending):
 * add one to the open transaction; forget them all (same); visit them in
 * the order they were added.  0 (or the number visited) or -1.
 */
int store_pending(store *s, const hist_rec *r);
int store_pending_clear(store *s);
int store_pending_scan(store *s, hist_visit *fn, void *arg);

/* Why the last call on s failed; valid until the next call on s. */
const char *store_error(const store *s);

#endif
