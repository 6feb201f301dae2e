/*
 * store_file — the store's file: created whole, opened only after it is
 * checked, closed (store.h has the API, store_int.h what the two halves share).
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
 *   pending(sender, seq, hlc, nick TEXT, text BLOB, kind)  lines typed, not sent yet
 *                                            (made on first use: store.c)
 *
 * meta keys: mark_hlc, mark_sender (the mark), inc (the incarnation last
 * taken: the next life's is above it), secret_kept (1 once the
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
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define SCHEMA_VERSION 1 /* PRAGMA user_version; schema_sql sets it */
#define BUSY_MS        2000 /* another process holding the file: wait, then fail */

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
		store_set_err(s, "cannot create history %s: %s", s->path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
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
	store_set_err(s, "history %s is damaged (%s); it was left as it is" REMEDY, s->path, line);
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
		store_sql_err(s, OPENING); /* not the file's fault: no room for -shm, say */
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
		store_sql_err(s, OPENING);
		sqlite3_finalize(st);
		return -1;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == SCHEMA_VERSION)
		return 0;
	if (version == 0)
		store_set_err(s, "history %s is not a Chorus history (no schema in it); it was left "
			   "as it is" REMEDY, s->path);
	else
		store_set_err(s, "cannot open history %s: schema version %d, this Chorus knows %d",
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
		if (store_exec(s, probe_sql, WRITING) == 0)
			return 0;
		store_abandon(s);
	} else {
		store_sql_err(s, WRITING);
	}
	char why[sizeof s->err];
	snprintf(why, sizeof why, "%s", s->err);
	store_set_err(s, "%.4000s\nchorus: the node did not start: make room there (or let it be "
		   "written) and start again", why);
	return -1;
}

static int
prepare_all(store *s)
{
	for (int i = 0; i < Q_PEND_PUT; i++) {
		if (sqlite3_prepare_v3(s->db, store_query_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->q[i], NULL) != SQLITE_OK) {
			store_sql_err(s, OPENING);
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
		store_sql_err(s, OPENING);
		return -1;
	}
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		store_set_err(s, "cannot open history %s: the file is read-only", s->path);
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
		store_set_err(s, "cannot open history %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		store_set_err(s, "history %s is empty: no identity and no history in it (Chorus never "
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
	    store_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", OPENING) != 0 ||
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
		store_set_err(s, "cannot write history in %s: %s", s->dir, strerror(errno));
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
	    store_exec(s, "PRAGMA synchronous = FULL; BEGIN IMMEDIATE", WRITING) != 0 ||
	    store_exec(s, schema_sql, WRITING) != 0 || prepare_all(s) != 0 ||
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
		store_set_err(s, "cannot create history %s: %s", path, strerror(errno));
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
	store_abandon(s);
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
