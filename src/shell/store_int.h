/*
 * store_int — what the two halves of the store share: store.c (the rows)
 * and store_file.c (the file: created whole, checked, opened, closed).
 * The handle, the prepared statements, the error helpers.  Only the
 * store includes this.
 */
#ifndef CHORUS_STORE_INT_H
#define CHORUS_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

#define KEY_FLIP UINT64_C(0x8000000000000000)

enum query {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_PUT,
	Q_SET_MARK,
	Q_GET_MARK,
	Q_RANGE,
	Q_RECENT,
	Q_SCAN,
	Q_GET_IDENT,
	Q_SET_IDENT,
	Q_PUT_SIG,
	Q_SIG_AT,
	Q_PUT_PEER,
	Q_PEERS,
	Q_GET_KEPT,
	Q_SET_KEPT,
	Q_GET_INC,
	Q_SET_INC,
	/* Prepared on first use (pending_query): older stores lack the table. */
	Q_PEND_PUT,
	Q_PEND_CLEAR,
	Q_PEND_SCAN,
	Q_COUNT
};

#define COLUMNS "sender, seq, hlc, nick, text, kind"

/* The statements' SQL, by query (store.c); prepared once by store_open. */
extern const char *const store_query_sql[Q_COUNT];

struct store {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	char *dir;  /* owned copies, for messages */
	char *path; /* dir/history.db */
	char err[4096 + 256];
};

enum doing { OPENING, READING, WRITING };

/* The stored form of an ordered uint64: see the top of store.c. */
static inline int64_t
store_key(uint64_t v)
{
	return (int64_t)(v ^ KEY_FLIP);
}

static inline uint64_t
store_unkey(int64_t k)
{
	return (uint64_t)k ^ KEY_FLIP;
}

void store_set_err(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record SQLite's last error; the errno too when the OS refused. */
void store_sql_err(store *s, enum doing what);
/* Step a statement that returns no row, and make it ready for reuse. */
int store_run(store *s, enum query q);
/* Drop the open transaction, if SQLite has not already; keeps s->err. */
void store_abandon(store *s);
/* A write failed: the error is recorded; undo the whole transaction; -1. */
int store_write_failed(store *s);
/* Open the write transaction unless one is open. */
int store_begin(store *s);
int store_exec(store *s, const char *sql, enum doing what);

#endif
