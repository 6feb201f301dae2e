/*
 * store — see store.h.
 *
 * Schema (user_version 1):
 *
 *   messages(sender, seq, hlc, nick TEXT, text BLOB, kind,
 *            PRIMARY KEY (sender, seq)) WITHOUT ROWID
 *   index messages_order on messages(hlc, sender)
 *   meta(key TEXT PRIMARY KEY, value INTEGER)
 *   identity(id, nick TEXT, pk BLOB, sk BLOB)  one row: who this node is
 *   sigs(sender, seq, chain, pk, sig, PRIMARY KEY (sender, seq))
 *                                            signed chain heads (sign.h)
 *   peers(id PRIMARY KEY, nick TEXT, host TEXT, port, seen)  members met, for restarts
 *
 * meta keys: mark_hlc, mark_sender (the mark), secret_kept (1 once the
 * data directory holds the chat's secret; 0 in a new store; a store from
 * before the key counts as 1, as Chorus then kept the secret at once),
 * opened (how many times the store was opened: the write that proves at
 * open that the store can be written).
 *
 * A store is born whole: store_create builds history.db.new (schema,
 * identity, secret_kept 0, in one transaction, in a rollback journal) and renames
 * it into place, so a crash leaves no store or a complete one, and an
 * existing history.db without an identity is damage, never a first run.
 * store_open changes nothing in a file it refuses: the checks (empty
 * file, integrity_check, schema, identity) only read, and they run before
 * the first write.
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
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define SCHEMA_VERSION 1 /* PRAGMA user_version; schema_sql sets it */
#define BUSY_MS        2000 /* another process holding the file: wait, then fail */
#define KEY_FLIP       UINT64_C(0x8000000000000000)

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
	/* Prepared on first use (pending_query): older stores lack the table. */
	Q_PEND_PUT,
	Q_PEND_CLEAR,
	Q_PEND_SCAN,
	Q_COUNT
};

#define COLUMNS "sender, seq, hlc, nick, text, kind"

static const char *const query_sql[Q_COUNT] = {
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
	[Q_PEND_PUT] = "INSERT INTO pending (" COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)",
	[Q_PEND_CLEAR] = "DELETE FROM pending",
	[Q_PEND_SCAN] = "SELECT " COLUMNS " FROM pending ORDER BY rowid",
};

/* Lines typed and not sent yet (node.h store_pending); created when first used. */
static const char pending_sql[] =
	"CREATE TABLE IF NOT EXISTS pending (sender INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" hlc INTEGER NOT NULL, nick TEXT NOT NULL, text BLOB NOT NULL, kind INTEGER NOT NULL);";

/* Run inside store_create's one transaction, on a new file. */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS messages ("
	" sender INTEGER NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,"
	" nick TEXT NOT NULL, text BLOB NOT NULL, kind INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (sender, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS messages_order ON messages (hlc, sender);"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS identity (id INTEGER NOT NULL, nick TEXT NOT NULL,"
	" pk BLOB NOT NULL, sk BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sigs (sender INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" chain BLOB NOT NULL, pk BLOB NOT NULL, sig BLOB NOT NULL,"
	" PRIMARY KEY (sender, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS peers (id INTEGER PRIMARY KEY, nick TEXT NOT NULL,"
	" host TEXT NOT NULL, port INTEGER NOT NULL, seen INTEGER NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('secret_kept', 0);"
	"PRAGMA user_version = 1;";

/* The write of store_open that proves the store can be written. */
static const char probe_sql[] =
	"BEGIN IMMEDIATE;"
	"INSERT OR REPLACE INTO meta (key, value) VALUES ('opened',"
	" coalesce((SELECT value FROM meta WHERE key = 'opened'), 0) + 1);"
	"COMMIT;";

struct store {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	char *dir;  /* owned copies, for messages */
	char *path; /* dir/history.db */
	char err[4096 + 256];
};

enum doing { OPENING, READING, WRITING };

/* The stored form of an ordered uint64: see the top of the file. */
static int64_t
key(uint64_t v)
{
	return (int64_t)(v ^ KEY_FLIP);
}

static uint64_t
unkey(int64_t k)
{
	return (uint64_t)k ^ KEY_FLIP;
}

static void
set_err(store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

/* Record SQLite's last error; the errno too when the OS refused. */
static void
sql_err(store *s, enum doing what)
{
	static const char *const verb[] = {
		[OPENING] = "open history", [READING] = "read history in",
		[WRITING] = "write history in",
	};
	const char *where = what == OPENING ? s->path : s->dir;
	int code = sqlite3_errcode(s->db) & 0xff, sys = sqlite3_system_errno(s->db);

	if (sys != 0 && (code == SQLITE_IOERR || code == SQLITE_CANTOPEN || code == SQLITE_FULL))
		set_err(s, "cannot %s %s: %s (%s)", verb[what], where, sqlite3_errmsg(s->db),
			strerror(sys));
	else
		set_err(s, "cannot %s %s: %s", verb[what], where, sqlite3_errmsg(s->db));
}

/* Step a statement that returns no row, and make it ready for reuse. */
static int
run(store *s, enum query q)
{
	sqlite3_stmt *st = s->q[q];
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		sql_err(s, WRITING);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Drop the open transaction, if SQLite has not already; keeps s->err.
 * (A store that failed to open may have no statements: sqlite3_close
 * rolls back then.)
 */
static void
abandon(store *s)
{
	if (s->q[Q_ROLLBACK] == NULL || sqlite3_get_autocommit(s->db))
		return;
	sqlite3_step(s->q[Q_ROLLBACK]);
	sqlite3_reset(s->q[Q_ROLLBACK]);
}

/* A write failed: the error is recorded; undo the whole transaction. */
static int
write_failed(store *s)
{
	abandon(s);
	return -1;
}

static int
begin(store *s)
{
	return sqlite3_get_autocommit(s->db) ? run(s, Q_BEGIN) : 0;
}

/*
 * Create the file ourselves, so that it is born 0600 (SQLite would use
 * 0644 less the umask); SQLite gives its journal and the -wal and -shm
 * files the same mode.
 */
static int
create_file(store *s)
{
	int fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		set_err(s, "cannot create history %s: %s", s->path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int
exec(store *s, const char *sql, enum doing what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sql_err(s, what);
	return -1;
}

/* SQLite's verdict on the file itself (not on our access to it). */
static bool
damage(int code)
{
	code &= 0xff;
	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

/* What to do about a store refused as damaged or emptied. */
#define REMEDY                                                                             \
	"\nchorus: restore it from a backup, or move it aside and start again: the node is " \
	"then a new member, and gets the history from the others"

/* SQLite's verdict in one line, without its "*** in database main ***" heading. */
static void
set_damaged(store *s, const char *what)
{
	static const char heading[] = "*** in database main ***";
	char line[512];
	size_t n = 0;

	if (strncmp(what, heading, sizeof heading - 1) == 0)
		what += sizeof heading - 1;
	while (*what == '\n' || *what == ' ')
		what++;
	for (; *what && n < sizeof line - 1; what++)
		line[n++] = *what == '\n' ? ' ' : *what;
	line[n] = '\0';
	set_err(s, "history %s is damaged (%s); it was left as it is" REMEDY, s->path, line);
}

/*
 * PRAGMA integrity_check: every page, every record, every index entry
 * against its table (quick_check skips the last, which is what keeps
 * the history order: store_recent and store_scan read that index).  It
 * reads the whole file: about 45 ms for 100,000 records here, warm.
 */
static int
check_integrity(store *s)
{
	sqlite3_stmt *st = NULL;
	const char *verdict;
	int ok = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check(1)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		verdict = (const char *)sqlite3_column_text(st, 0);
		ok = verdict && strcmp(verdict, "ok") == 0;
		if (!ok)
			set_damaged(s, verdict ? verdict : "integrity_check says nothing");
	} else if (damage(sqlite3_extended_errcode(s->db))) {
		set_damaged(s, sqlite3_errmsg(s->db));
	} else {
		sql_err(s, OPENING); /* not the file's fault: no room for -shm, say */
	}
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

/* Refuse a file that Chorus did not write, or that a newer Chorus did. */
static int
check_schema(store *s)
{
	sqlite3_stmt *st;
	int version;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sql_err(s, OPENING);
		sqlite3_finalize(st);
		return -1;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == SCHEMA_VERSION)
		return 0;
	if (version == 0)
		set_err(s, "history %s is not a Chorus history (no schema in it); it was left "
			   "as it is" REMEDY, s->path);
	else
		set_err(s, "cannot open history %s: schema version %d, this Chorus knows %d",
			s->path, version, SCHEMA_VERSION);
	return -1;
}

/* Every store holds the node's identity, from its first transaction on. */
static int
check_identity(store *s)
{
	store_identity who;
	int rc = store_get_identity(s, &who);

	explicit_bzero(&who, sizeof who);
	if (rc == 0)
		set_damaged(s, "it holds no identity");
	return rc == 1 ? 0 : -1;
}

/*
 * Prove the store can be written before the node does anything: move the
 * log into the file and empty it (a checkpoint that cannot grow the file
 * fails on a full disk), then commit one small write into the emptied log.
 * A log kept busy by another process is left alone; the write still counts.
 */
static int
check_writable(store *s)
{
	int rc = sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
		if (exec(s, probe_sql, WRITING) == 0)
			return 0;
		abandon(s);
	} else {
		sql_err(s, WRITING);
	}
	char why[sizeof s->err];
	snprintf(why, sizeof why, "%s", s->err);
	set_err(s, "%.4000s\nchorus: the node did not start: make room there (or let it be "
		   "written) and start again", why);
	return -1;
}

static int
prepare_all(store *s)
{
	for (int i = 0; i < Q_PEND_PUT; i++) {
		if (sqlite3_prepare_v3(s->db, query_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->q[i], NULL) != SQLITE_OK) {
			sql_err(s, OPENING);
			return -1;
		}
	}
	return 0;
}

/* Open s->path, which exists, for reading and writing. */
static int
open_db(store *s)
{
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sql_err(s, OPENING);
		return -1;
	}
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		set_err(s, "cannot open history %s: the file is read-only", s->path);
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS);
	return 0;
}

/* An empty file is what a truncation leaves: SQLite would take it for a new store. */
static int
check_not_empty(store *s)
{
	struct stat st;

	if (stat(s->path, &st) != 0) {
		set_err(s, "cannot open history %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		set_err(s, "history %s is empty: no identity and no history in it (Chorus never "
			   "leaves it so: was it truncated?); it was left as it is" REMEDY,
			s->path);
		return -1;
	}
	return 0;
}

static store *
store_new(const char *dir, const char *name)
{
	store *s = xcalloc(1, sizeof *s);
	size_t cap = strlen(dir) + strlen(name) + 2;

	s->dir = xstrdup(dir);
	s->path = xmalloc(cap);
	snprintf(s->path, cap, "%s/%s", dir, name);
	return s;
}

static void close_db(store *s);

/* Hand the error to the caller and free s; NULL. */
static store *
open_failed(store *s, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", s->err);
	store_close(s);
	return NULL;
}

int
store_exists(const char *dir, char *err, size_t errlen)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof path, "%s/history.db", dir);
	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "cannot open history %s: %s", path, strerror(errno));
	return -1;
}

store *
store_open(const char *dir, char *err, size_t errlen)
{
	store *s = store_new(dir, "history.db");

	if (check_not_empty(s) != 0 || open_db(s) != 0 || check_integrity(s) != 0 ||
	    check_schema(s) != 0 ||
	    exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", OPENING) != 0 ||
	    prepare_all(s) != 0 || check_identity(s) != 0 || check_writable(s) != 0)
		return open_failed(s, err, errlen);
	return s;
}

/* Make a rename in dir durable. */
static int
sync_dir(store *s)
{
	int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fsync(fd);

	if (fd >= 0)
		close(fd);
	if (rc != 0)
		set_err(s, "cannot write history in %s: %s", s->dir, strerror(errno));
	return rc;
}

/* Build history.db.new whole: schema, identity, in one transaction. */
static int
build(store *s, const store_identity *who)
{
	char journal[4300];

	snprintf(journal, sizeof journal, "%s-journal", s->path);
	unlink(journal); /* a crashed attempt's: it must not roll anything into the new file */
	if (create_file(s) != 0 || open_db(s) != 0 ||
	    exec(s, "PRAGMA synchronous = FULL; BEGIN IMMEDIATE", WRITING) != 0 ||
	    exec(s, schema_sql, WRITING) != 0 || prepare_all(s) != 0 ||
	    store_set_identity(s, who) != 0 || store_commit(s) != 0)
		return -1;
	return 0;
}

store *
store_create(const char *dir, const store_identity *who, char *err, size_t errlen)
{
	store *s = store_new(dir, "history.db.new");
	char path[4200];

	snprintf(path, sizeof path, "%s/history.db", dir);
	if (build(s, who) != 0)
		return open_failed(s, err, errlen);
	close_db(s);
	if (rename(s->path, path) != 0) {
		set_err(s, "cannot create history %s: %s", path, strerror(errno));
		unlink(s->path);
		return open_failed(s, err, errlen);
	}
	if (sync_dir(s) != 0)
		return open_failed(s, err, errlen);
	store_close(s);
	return store_open(dir, err, errlen);
}

/* Roll back what is open, finalize the statements, close the file; s stays. */
static void
close_db(store *s)
{
	abandon(s);
	for (int i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
	sqlite3_close(s->db);
	s->db = NULL;
}

void
store_close(store *s)
{
	if (s == NULL)
		return;
	close_db(s);
	free(s->path);
	free(s->dir);
	free(s);
}

/* A record's columns (COLUMNS) into st. */
static void
bind_record(sqlite3_stmt *st, const hist_rec *r)
{
	/* SQLITE_STATIC is safe: run() clears the bindings before we return. */
	sqlite3_bind_int64(st, 1, key(r->sender));
	sqlite3_bind_int64(st, 2, key(r->seq));
	sqlite3_bind_int64(st, 3, key(r->hlc));
	sqlite3_bind_text(st, 4, r->nick, (int)strnlen(r->nick, NICK_MAX), SQLITE_STATIC);
	/* A non-NULL pointer, so that an empty text is an empty blob, not NULL. */
	sqlite3_bind_blob64(st, 5, r->len ? r->text : "", r->len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->kind);
}

int
store_put(store *s, const hist_rec *r)
{
	if (begin(s) != 0)
		return write_failed(s);
	bind_record(s->q[Q_PUT], r);
	return run(s, Q_PUT) == 0 ? 0 : write_failed(s);
}

int
store_set_mark(store *s, uint64_t hlc, uint64_t sender)
{
	sqlite3_stmt *st = s->q[Q_SET_MARK];

	if (begin(s) != 0)
		return write_failed(s);
	sqlite3_bind_int64(st, 1, (int64_t)hlc);
	sqlite3_bind_int64(st, 2, (int64_t)sender);
	return run(s, Q_SET_MARK) == 0 ? 0 : write_failed(s);
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
		sql_err(s, READING);
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
			set_err(s, "the identity in %s is damaged", s->path);
			found = -1;
		}
	} else if (rc != SQLITE_DONE) {
		sql_err(s, READING);
		found = -1;
	}
	sqlite3_reset(st);
	return found;
}

int
store_set_identity(store *s, const store_identity *id)
{
	sqlite3_stmt *st = s->q[Q_SET_IDENT];

	if (begin(s) != 0)
		return write_failed(s);
	sqlite3_bind_int64(st, 1, (int64_t)id->id);
	sqlite3_bind_text(st, 2, id->nick, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, id->pk, sizeof id->pk, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, id->sk, sizeof id->sk, SQLITE_STATIC);
	return run(s, Q_SET_IDENT) == 0 ? 0 : write_failed(s);
}

int
store_secret_kept(store *s)
{
	sqlite3_stmt *st = s->q[Q_GET_KEPT];
	int rc = sqlite3_step(st), kept = -1;

	if (rc == SQLITE_ROW)
		kept = sqlite3_column_int(st, 0) != 0;
	else
		sql_err(s, READING);
	sqlite3_reset(st);
	return kept;
}

int
store_set_secret_kept(store *s)
{
	if (begin(s) != 0)
		return write_failed(s);
	return run(s, Q_SET_KEPT) == 0 ? 0 : write_failed(s);
}

int
store_put_sig(store *s, const hist_sig *sig)
{
	sqlite3_stmt *st = s->q[Q_PUT_SIG];

	if (begin(s) != 0)
		return write_failed(s);
	sqlite3_bind_int64(st, 1, key(sig->sender));
	sqlite3_bind_int64(st, 2, key(sig->seq));
	sqlite3_bind_blob(st, 3, sig->chain, sizeof sig->chain, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig->pk, sizeof sig->pk, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, sig->sig, sizeof sig->sig, SQLITE_STATIC);
	return run(s, Q_PUT_SIG) == 0 ? 0 : write_failed(s);
}

int
store_sig_at(store *s, uint64_t sender, uint64_t seq, hist_sig *out)
{
	sqlite3_stmt *st = s->q[Q_SIG_AT];
	int rc, found = 0;

	sqlite3_bind_int64(st, 1, key(sender));
	sqlite3_bind_int64(st, 2, key(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->sender = sender;
		out->seq = unkey(sqlite3_column_int64(st, 0));
		found = blob(st, 1, out->chain, sizeof out->chain) &&
			blob(st, 2, out->pk, sizeof out->pk) && blob(st, 3, out->sig, sizeof out->sig);
	} else if (rc != SQLITE_DONE) {
		sql_err(s, READING);
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

	if (begin(s) != 0)
		return write_failed(s);
	sqlite3_bind_int64(st, 1, (int64_t)p->id);
	sqlite3_bind_text(st, 2, p->nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, p->port);
	sqlite3_bind_int64(st, 5, (int64_t)seen);
	return run(s, Q_PUT_PEER) == 0 ? 0 : write_failed(s);
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
		sql_err(s, READING);
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
	return run(s, Q_COMMIT) == 0 ? 0 : write_failed(s);
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

	r->sender = unkey(sqlite3_column_int64(st, 0));
	r->seq = unkey(sqlite3_column_int64(st, 1));
	r->hlc = unkey(sqlite3_column_int64(st, 2));
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
		sql_err(s, READING);
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
	sqlite3_bind_int64(st, 1, key(sender));
	sqlite3_bind_int64(st, 2, key(from));
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
	if (exec(s, pending_sql, WRITING) != 0)
		return NULL;
	if (sqlite3_prepare_v3(s->db, query_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->q[q],
			       NULL) != SQLITE_OK) {
		sql_err(s, WRITING);
		return NULL;
	}
	return s->q[q];
}

int
store_pending(store *s, const hist_rec *r)
{
	sqlite3_stmt *st;

	if (begin(s) != 0 || (st = pending_query(s, Q_PEND_PUT)) == NULL)
		return write_failed(s);
	bind_record(st, r);
	return run(s, Q_PEND_PUT) == 0 ? 0 : write_failed(s);
}

int
store_pending_clear(store *s)
{
	if (begin(s) != 0 || pending_query(s, Q_PEND_CLEAR) == NULL)
		return write_failed(s);
	return run(s, Q_PEND_CLEAR) == 0 ? 0 : write_failed(s);
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
