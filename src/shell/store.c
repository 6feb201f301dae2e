/*
 * store — the store's rows (see store.h): records, the mark, the identity,
 * signed heads, peers met, lines pending.  store_file.c opens the file.
 *
 * SQLite integers are signed, ours are not: ids are random and have the
 * top bit set half the time, and a signed comparison would put those
 * senders first.  So sender, seq and hlc are stored as key(v) = v ^ 2^63,
 * reinterpreted as int64: this maps 0 .. 2^64-1 onto INT64_MIN ..
 * INT64_MAX in order, so ORDER BY and >= on the stored column are the
 * unsigned order of the values, and the index on (hlc, sender) is the
 * history order.  (To read a row by hand, add 2^63 back.)  The mark in
 * meta is never compared, so it is stored as a plain cast.
 *
 * All statements are prepared once by store_open.  Writes run in one
 * explicit transaction (BEGIN IMMEDIATE takes the write lock up front, so
 * a commit cannot fail on a lock upgrade); whether it is open is SQLite's
 * autocommit flag, never a copy of it that could go stale when SQLite
 * rolls back by itself after an I/O error.
 */
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const store_query_sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_PUT] = "INSERT OR IGNORE INTO messages (" COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)",
	[Q_SET_MARK] = "INSERT OR REPLACE INTO meta (key, value)"
		       " VALUES ('mark_hlc', ?1), ('mark_sender', ?2)",
	[Q_GET_MARK] = "SELECT (SELECT value FROM meta WHERE key = 'mark_hlc'),"
		       " (SELECT value FROM meta WHERE key = 'mark_sender')",
	[Q_RANGE] = "SELECT " COLUMNS " FROM messages"
		    " WHERE sender = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
	[Q_RECENT] = "SELECT * FROM (SELECT " COLUMNS " FROM messages"
		     " ORDER BY hlc DESC, sender DESC LIMIT ?1) ORDER BY hlc, sender",
	[Q_SCAN] = "SELECT " COLUMNS " FROM messages ORDER BY hlc, sender",
	[Q_GET_IDENT] = "SELECT id, nick, pk, sk FROM identity LIMIT 1",
	[Q_SET_IDENT] = "INSERT INTO identity (id, nick, pk, sk) VALUES (?1, ?2, ?3, ?4)",
	[Q_PUT_SIG] = "INSERT OR IGNORE INTO sigs (sender, seq, chain, pk, sig)"
		      " VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_SIG_AT] = "SELECT seq, chain, pk, sig FROM sigs WHERE sender = ?1 AND seq >= ?2"
		     " ORDER BY seq LIMIT 1",
	[Q_PUT_PEER] = "INSERT OR REPLACE INTO peers (id, nick, host, port, seen)"
			" VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_PEERS] = "SELECT id, nick, host, port FROM peers ORDER BY seen DESC LIMIT ?1",
	[Q_GET_KEPT] = "SELECT coalesce((SELECT value FROM meta WHERE key = 'secret_kept'), 1)",
	[Q_SET_KEPT] = "INSERT OR REPLACE INTO meta (key, value) VALUES ('secret_kept', 1)",
	[Q_GET_INC] = "SELECT coalesce((SELECT value FROM meta WHERE key = 'inc'), 0)",
	[Q_SET_INC] = "INSERT OR REPLACE INTO meta (key, value) VALUES ('inc', ?1)",
	[Q_PEND_PUT] = "INSERT INTO pending (" COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)",
	[Q_PEND_CLEAR] = "DELETE FROM pending",
	[Q_PEND_SCAN] = "SELECT " COLUMNS " FROM pending ORDER BY rowid",
};

/* Lines typed and not sent yet (node.h store_pending); created when first used. */
static const char pending_sql[] =
	"CREATE TABLE IF NOT EXISTS pending (sender INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" hlc INTEGER NOT NULL, nick TEXT NOT NULL, text BLOB NOT NULL, kind INTEGER NOT NULL);";

void
store_set_err(store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

/* Record SQLite's last error; the errno too when the OS refused. */
void
store_sql_err(store *s, enum doing what)
{
	static const char *const verb[] = {
		[OPENING] = "open history", [READING] = "read history in",
		[WRITING] = "write history in",
	};
	const char *where = what == OPENING ? s->path : s->dir;
	int code = sqlite3_errcode(s->db) & 0xff, sys = sqlite3_system_errno(s->db);

	if (sys != 0 && (code == SQLITE_IOERR || code == SQLITE_CANTOPEN || code == SQLITE_FULL))
		store_set_err(s, "cannot %s %s: %s (%s)", verb[what], where, sqlite3_errmsg(s->db),
			strerror(sys));
	else
		store_set_err(s, "cannot %s %s: %s", verb[what], where, sqlite3_errmsg(s->db));
}

/* Step a statement that returns no row, and make it ready for reuse. */
int
store_run(store *s, enum query q)
{
	sqlite3_stmt *st = s->q[q];
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		store_sql_err(s, WRITING);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Drop the open transaction, if SQLite has not already; keeps s->err.
 * (A store that failed to open may have no statements: sqlite3_close
 * rolls back then.)
 */
void
store_abandon(store *s)
{
	if (s->q[Q_ROLLBACK] == NULL || sqlite3_get_autocommit(s->db))
		return;
	sqlite3_step(s->q[Q_ROLLBACK]);
	sqlite3_reset(s->q[Q_ROLLBACK]);
}

/* A write failed: the error is recorded; undo the whole transaction. */
int
store_write_failed(store *s)
{
	store_abandon(s);
	return -1;
}

int
store_begin(store *s)
{
	return sqlite3_get_autocommit(s->db) ? store_run(s, Q_BEGIN) : 0;
}

int
store_exec(store *s, const char *sql, enum doing what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	store_sql_err(s, what);
	return -1;
}

/* A record's columns (COLUMNS) into st. */
static void
bind_record(sqlite3_stmt *st, const hist_rec *r)
{
	/* SQLITE_STATIC is safe: store_run() clears the bindings before we return. */
	sqlite3_bind_int64(st, 1, store_key(r->sender));
	sqlite3_bind_int64(st, 2, store_key(r->seq));
	sqlite3_bind_int64(st, 3, store_key(r->hlc));
	sqlite3_bind_text(st, 4, r->nick, (int)strnlen(r->nick, NICK_MAX), SQLITE_STATIC);
	/* A non-NULL pointer, so that an empty text is an empty blob, not NULL. */
	sqlite3_bind_blob64(st, 5, r->len ? r->text : "", r->len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->kind);
}

int
store_put(store *s, const hist_rec *r)
{
	if (store_begin(s) != 0)
		return store_write_failed(s);
	bind_record(s->q[Q_PUT], r);
	return store_run(s, Q_PUT) == 0 ? 0 : store_write_failed(s);
}

int
store_set_mark(store *s, uint64_t hlc, uint64_t sender)
{
	sqlite3_stmt *st = s->q[Q_SET_MARK];

	if (store_begin(s) != 0)
		return store_write_failed(s);
	sqlite3_bind_int64(st, 1, (int64_t)hlc);
	sqlite3_bind_int64(st, 2, (int64_t)sender);
	return store_run(s, Q_SET_MARK) == 0 ? 0 : store_write_failed(s);
}

int
store_get_mark(store *s, uint64_t *hlc, uint64_t *sender)
{
	sqlite3_stmt *st = s->q[Q_GET_MARK];
	int rc = sqlite3_step(st);

	/* A missing row reads as NULL, and NULL as 0. */
	if (rc == SQLITE_ROW) {
		*hlc = (uint64_t)sqlite3_column_int64(st, 0);
		*sender = (uint64_t)sqlite3_column_int64(st, 1);
	} else
		store_sql_err(s, READING);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Copy a blob column of exactly n bytes; false when it is not that. */
static bool
blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	const void *p = sqlite3_column_blob(st, col);

	if (p == NULL || (size_t)sqlite3_column_bytes(st, col) != n)
		return false;
	memcpy(out, p, n);
	return true;
}

int
store_get_identity(store *s, store_identity *out)
{
	sqlite3_stmt *st = s->q[Q_GET_IDENT];
	int rc = sqlite3_step(st), found = 0;

	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);
		out->id = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(out->nick, sizeof out->nick, "%s", t ? (const char *)t : "");
		found = 1;
		if (!blob(st, 2, out->pk, sizeof out->pk) || !blob(st, 3, out->sk, sizeof out->sk)) {
			store_set_err(s, "the identity in %s is damaged", s->path);
			found = -1;
		}
	} else if (rc != SQLITE_DONE) {
		store_sql_err(s, READING);
		found = -1;
	}
	sqlite3_reset(st);
	return found;
}

int
store_set_identity(store *s, const store_identity *id)
{
	sqlite3_stmt *st = s->q[Q_SET_IDENT];

	if (store_begin(s) != 0)
		return store_write_failed(s);
	sqlite3_bind_int64(st, 1, (int64_t)id->id);
	sqlite3_bind_text(st, 2, id->nick, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, id->pk, sizeof id->pk, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, id->sk, sizeof id->sk, SQLITE_STATIC);
	return store_run(s, Q_SET_IDENT) == 0 ? 0 : store_write_failed(s);
}

int
store_secret_kept(store *s)
{
	sqlite3_stmt *st = s->q[Q_GET_KEPT];
	int rc = sqlite3_step(st), kept = -1;

	if (rc == SQLITE_ROW)
		kept = sqlite3_column_int(st, 0) != 0;
	else
		store_sql_err(s, READING);
	sqlite3_reset(st);
	return kept;
}

int
store_get_inc(store *s, uint64_t *inc)
{
	sqlite3_stmt *st = s->q[Q_GET_INC];
	int rc = sqlite3_step(st);

	*inc = 0;
	if (rc == SQLITE_ROW)
		*inc = (uint64_t)sqlite3_column_int64(st, 0);
	else
		store_sql_err(s, READING);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_set_inc(store *s, uint64_t inc)
{
	if (store_begin(s) != 0)
		return store_write_failed(s);
	sqlite3_bind_int64(s->q[Q_SET_INC], 1, (int64_t)inc);
	return store_run(s, Q_SET_INC) == 0 ? 0 : store_write_failed(s);
}

int
store_set_secret_kept(store *s)
{
	if (store_begin(s) != 0)
		return store_write_failed(s);
	return store_run(s, Q_SET_KEPT) == 0 ? 0 : store_write_failed(s);
}

int
store_put_sig(store *s, const hist_sig *sig)
{
	sqlite3_stmt *st = s->q[Q_PUT_SIG];

	if (store_begin(s) != 0)
		return store_write_failed(s);
	sqlite3_bind_int64(st, 1, store_key(sig->sender));
	sqlite3_bind_int64(st, 2, store_key(sig->seq));
	sqlite3_bind_blob(st, 3, sig->chain, sizeof sig->chain, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig->pk, sizeof sig->pk, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, sig->sig, sizeof sig->sig, SQLITE_STATIC);
	return store_run(s, Q_PUT_SIG) == 0 ? 0 : store_write_failed(s);
}

int
store_sig_at(store *s, uint64_t sender, uint64_t seq, hist_sig *out)
{
	sqlite3_stmt *st = s->q[Q_SIG_AT];
	int rc, found = 0;

	sqlite3_bind_int64(st, 1, store_key(sender));
	sqlite3_bind_int64(st, 2, store_key(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->sender = sender;
		out->seq = store_unkey(sqlite3_column_int64(st, 0));
		found = blob(st, 1, out->chain, sizeof out->chain) &&
			blob(st, 2, out->pk, sizeof out->pk) && blob(st, 3, out->sig, sizeof out->sig);
	} else if (rc != SQLITE_DONE) {
		store_sql_err(s, READING);
		found = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int
store_put_peer(store *s, const node_peer *p, uint64_t seen)
{
	sqlite3_stmt *st = s->q[Q_PUT_PEER];

	if (store_begin(s) != 0)
		return store_write_failed(s);
	sqlite3_bind_int64(st, 1, (int64_t)p->id);
	sqlite3_bind_text(st, 2, p->nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, p->port);
	sqlite3_bind_int64(st, 5, (int64_t)seen);
	return store_run(s, Q_PUT_PEER) == 0 ? 0 : store_write_failed(s);
}

int
store_peers(store *s, node_peer *out, int max)
{
	sqlite3_stmt *st = s->q[Q_PEERS];
	int n = 0, rc = SQLITE_DONE;

	sqlite3_bind_int(st, 1, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *nick = sqlite3_column_text(st, 1);
		const unsigned char *host = sqlite3_column_text(st, 2);
		int port = sqlite3_column_int(st, 3);
		node_peer *p = &out[n];
		if (!nick || !host || !*host || port <= 0 || port > 65535)
			continue;
		p->id = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(p->nick, sizeof p->nick, "%s", (const char *)nick);
		snprintf(p->host, sizeof p->host, "%s", (const char *)host);
		p->port = (uint16_t)port;
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_sql_err(s, READING);
		n = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

int
store_commit(store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return store_run(s, Q_COMMIT) == 0 ? 0 : store_write_failed(s);
}

bool
store_dirty(const store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

/* The current row as a record; text and len point into SQLite's memory. */
static void
read_row(sqlite3_stmt *st, hist_rec *r)
{
	const unsigned char *nick = sqlite3_column_text(st, 3);
	size_t nlen = nick ? (size_t)sqlite3_column_bytes(st, 3) : 0;

	r->sender = store_unkey(sqlite3_column_int64(st, 0));
	r->seq = store_unkey(sqlite3_column_int64(st, 1));
	r->hlc = store_unkey(sqlite3_column_int64(st, 2));
	if (nlen > NICK_MAX)
		nlen = NICK_MAX;
	memcpy(r->nick, nick ? (const char *)nick : "", nlen);
	r->nick[nlen] = '\0';
	r->text = sqlite3_column_blob(st, 4);
	r->len = (size_t)sqlite3_column_bytes(st, 4);
	r->kind = (uint8_t)sqlite3_column_int(st, 5);
	if (r->text == NULL)
		r->text = "";
}

/* Step st to the end or until fn says stop; the count visited, or -1. */
static int
visit(store *s, sqlite3_stmt *st, hist_visit *fn, void *arg)
{
	hist_rec r;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &r);
		n++;
		if (!fn(arg, &r)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_sql_err(s, READING);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
store_range(store *s, uint64_t sender, uint64_t from, int max, hist_visit *fn, void *arg)
{
	sqlite3_stmt *st = s->q[Q_RANGE];

	if (max <= 0)
		return 0;
	sqlite3_bind_int64(st, 1, store_key(sender));
	sqlite3_bind_int64(st, 2, store_key(from));
	sqlite3_bind_int(st, 3, max);
	return visit(s, st, fn, arg);
}

int
store_recent(store *s, int n, hist_visit *fn, void *arg)
{
	sqlite3_stmt *st = s->q[Q_RECENT];

	if (n <= 0)
		return 0;
	sqlite3_bind_int(st, 1, n);
	return visit(s, st, fn, arg);
}

int
store_scan(store *s, hist_visit *fn, void *arg)
{
	return visit(s, s->q[Q_SCAN], fn, arg);
}

/* One of the pending table's statements, the table made first if need be. */
static sqlite3_stmt *
pending_query(store *s, int q)
{
	if (s->q[q])
		return s->q[q];
	if (store_exec(s, pending_sql, WRITING) != 0)
		return NULL;
	if (sqlite3_prepare_v3(s->db, store_query_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->q[q],
			       NULL) != SQLITE_OK) {
		store_sql_err(s, WRITING);
		return NULL;
	}
	return s->q[q];
}

int
store_pending(store *s, const hist_rec *r)
{
	sqlite3_stmt *st;

	if (store_begin(s) != 0 || (st = pending_query(s, Q_PEND_PUT)) == NULL)
		return store_write_failed(s);
	bind_record(st, r);
	return store_run(s, Q_PEND_PUT) == 0 ? 0 : store_write_failed(s);
}

int
store_pending_clear(store *s)
{
	if (store_begin(s) != 0 || pending_query(s, Q_PEND_CLEAR) == NULL)
		return store_write_failed(s);
	return store_run(s, Q_PEND_CLEAR) == 0 ? 0 : store_write_failed(s);
}

int
store_pending_scan(store *s, hist_visit *fn, void *arg)
{
	sqlite3_stmt *st = pending_query(s, Q_PEND_SCAN);

	return st ? visit(s, st, fn, arg) : -1;
}

const char *
store_error(const store *s)
{
	return s->err;
}
