/*
 * Unit tests of the history store, on real SQLite files in a fresh
 * directory under /tmp for each test: what is committed survives a reopen
 * and what is not does not, duplicates are ignored, the three ways of
 * reading visit the right records in the right order (unsigned ids with
 * the top bit set included), the mark round-trips, and an unwritable
 * directory or a full disk fails with a message that names the place.
 * A store is created whole with its identity; opening refuses, without
 * changing a byte, a file that is empty, damaged, without an identity or
 * not Chorus's, and one that cannot be written.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

#define TOP   UINT64_C(0x8000000000000000)
#define MAX_GOT 64
#define NOBODY  65534

/* What a visitor saw, copied out of SQLite's memory. */
typedef struct got {
	hist_rec r[MAX_GOT];
	char text[MAX_GOT][64];
	int n;
	int stop_after; /* 0: never stop */
} got;

static bool
collect(void *arg, const hist_rec *r)
{
	got *g = arg;

	assert_true(g->n < MAX_GOT);
	assert_true(r->len <= sizeof g->text[0]);
	g->r[g->n] = *r;
	memcpy(g->text[g->n], r->text, r->len);
	g->r[g->n].text = g->text[g->n];
	g->n++;
	return g->stop_after == 0 || g->n < g->stop_after;
}

static hist_rec
rec(uint64_t sender, uint64_t seq, uint64_t hlc, const char *text)
{
	hist_rec r = {.sender = sender, .seq = seq, .hlc = hlc, .text = text,
		      .len = strlen(text)};

	snprintf(r.nick, sizeof r.nick, "n%llx", (unsigned long long)(sender & 0xffff));
	return r;
}

/* The identity every test store is created with. */
static store_identity
tester(void)
{
	store_identity who = {.id = TOP | 42, .nick = "tester"};

	memset(who.pk, 0xA1, sizeof who.pk);
	memset(who.sk, 0xB2, sizeof who.sk);
	return who;
}

/* Open the store in dir, creating it the first time. */
static store *
must_open(const char *dir)
{
	char err[1024];
	store_identity who = tester();
	int there = store_exists(dir, err, sizeof err);
	store *s;

	assert_true(there >= 0);
	s = there ? store_open(dir, err, sizeof err) : store_create(dir, &who, err, sizeof err);
	if (s == NULL)
		fail_msg("store_%s: %s", there ? "open" : "create", err);
	return s;
}

static char *
path_in(const char *dir, const char *name)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

/* A whole file's bytes (the caller frees them), its size in *len. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spill(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* store_open(dir) must refuse, saying want, and leave history.db as it was. */
static void
refused(const char *dir, const char *want)
{
	char err[2048] = "", path[512];
	size_t before_len, after_len;
	unsigned char *before, *after;

	snprintf(path, sizeof path, "%s", path_in(dir, "history.db"));
	before = slurp(path, &before_len);
	assert_null(store_open(dir, err, sizeof err));
	print_message("    refused: %s\n", err);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, path));
	after = slurp(path, &after_len);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	free(before);
	free(after);
}

static void
put(store *s, hist_rec r)
{
	if (store_put(s, &r) != 0)
		fail_msg("store_put: %s", store_error(s));
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	char *dir = strdup("/tmp/test_store.XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char *dir = *state;
	int rc = nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	free(dir);
	return rc;
}

static void
test_commit_persists(void **state)
{
	const char *dir = *state;
	static const char bin[] = "a\0b\xff";
	hist_rec r = rec(7, 1, 100, "");
	char path[512];
	struct stat st;
	got g = {0};
	store *s = must_open(dir);

	assert_false(store_dirty(s));
	put(s, rec(7, 2, 200, "hello"));
	r.text = bin;
	r.len = sizeof bin - 1;
	put(s, r);
	assert_true(store_dirty(s));
	assert_int_equal(store_commit(s), 0);
	assert_false(store_dirty(s));
	assert_int_equal(store_commit(s), 0); /* nothing open: a no-op */
	store_close(s);

	snprintf(path, sizeof path, "%s/history.db", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	s = must_open(dir);
	assert_int_equal(store_scan(s, collect, &g), 2);
	assert_int_equal(g.r[0].sender, 7);
	assert_int_equal(g.r[0].seq, 1);
	assert_int_equal(g.r[0].hlc, 100);
	assert_string_equal(g.r[0].nick, "n7");
	assert_int_equal(g.r[0].len, 4);
	assert_memory_equal(g.r[0].text, bin, 4);
	assert_int_equal(g.r[1].seq, 2);
	assert_int_equal(g.r[1].len, 5);
	assert_memory_equal(g.r[1].text, "hello", 5);
	store_close(s);
}

static void
test_empty_text_and_long_nick(void **state)
{
	hist_rec r = rec(1, 1, 1, "");
	got g = {0};
	store *s = must_open(*state);

	memset(r.nick, 'x', NICK_MAX);
	r.nick[NICK_MAX] = '\0';
	put(s, r);
	assert_int_equal(store_scan(s, collect, &g), 1);
	assert_int_equal(g.r[0].len, 0);
	assert_non_null(g.r[0].text);
	assert_int_equal(strlen(g.r[0].nick), NICK_MAX);
	store_close(s);
}

static void
test_uncommitted_vanish(void **state)
{
	const char *dir = *state;
	got g = {0};
	uint64_t hlc, sender;
	store *s = must_open(dir);

	put(s, rec(1, 1, 10, "kept"));
	assert_int_equal(store_set_mark(s, 10, 1), 0);
	assert_int_equal(store_commit(s), 0);
	put(s, rec(1, 2, 20, "lost"));
	assert_int_equal(store_set_mark(s, 20, 1), 0);
	assert_true(store_dirty(s));
	store_close(s);

	s = must_open(dir);
	assert_int_equal(store_scan(s, collect, &g), 1);
	assert_memory_equal(g.text[0], "kept", 4);
	assert_int_equal(store_get_mark(s, &hlc, &sender), 0);
	assert_int_equal(hlc, 10);
	assert_int_equal(sender, 1);
	store_close(s);
}

static void
test_duplicate_ignored(void **state)
{
	got g = {0};
	store *s = must_open(*state);

	put(s, rec(5, 1, 10, "first"));
	put(s, rec(5, 1, 99, "again"));
	assert_int_equal(store_commit(s), 0);
	put(s, rec(5, 1, 77, "later"));
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_scan(s, collect, &g), 1);
	assert_int_equal(g.r[0].hlc, 10);
	assert_memory_equal(g.text[0], "first", 5);
	store_close(s);
}

static void
test_range(void **state)
{
	const uint64_t a = TOP | 3, b = 3; /* b < a unsigned, a < b signed */
	got g = {0};
	store *s = must_open(*state);

	for (uint64_t seq = 10; seq >= 1; seq--) {
		put(s, rec(a, seq, 1000 - seq, "a"));
		put(s, rec(b, seq, 2000 + seq, "b"));
	}
	assert_int_equal(store_commit(s), 0);
	put(s, rec(a, 11, 5, "open")); /* in the open transaction */

	assert_int_equal(store_range(s, a, 4, 3, collect, &g), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.r[i].sender, a);
		assert_int_equal(g.r[i].seq, 4 + i);
	}
	g = (got){0};
	assert_int_equal(store_range(s, a, 9, 100, collect, &g), 3);
	assert_int_equal(g.r[2].seq, 11);
	assert_memory_equal(g.text[2], "open", 4);
	g = (got){0};
	assert_int_equal(store_range(s, a, 0, 100, collect, &g), 11);
	assert_int_equal(g.r[0].seq, 1);
	assert_int_equal(store_range(s, a, 12, 100, collect, &g), 0);
	assert_int_equal(store_range(s, a, UINT64_MAX, 100, collect, &g), 0);
	assert_int_equal(store_range(s, a, 1, 0, collect, &g), 0);
	assert_int_equal(store_range(s, 4, 1, 10, collect, &g), 0);
	g = (got){.stop_after = 2};
	assert_int_equal(store_range(s, b, 1, 100, collect, &g), 2);
	assert_int_equal(g.r[1].sender, b);
	assert_int_equal(g.r[1].seq, 2);
	store_close(s);
}

/* Records whose history order is the order of this array. */
static const struct {
	uint64_t hlc, sender;
} ordered[] = {
	{5, UINT64_MAX},
	{6, 1},
	{6, TOP - 1},
	{6, TOP},
	{6, UINT64_MAX},
	{TOP + 1, 2}, /* an hlc with the top bit set sorts last */
};
#define NORDERED ((int)(sizeof ordered / sizeof ordered[0]))

static void
put_shuffled(store *s)
{
	static const int perm[NORDERED] = {3, 0, 5, 2, 4, 1};

	for (int i = 0; i < NORDERED; i++) {
		int k = perm[i];

		put(s, rec(ordered[k].sender, (uint64_t)k + 1, ordered[k].hlc, "x"));
	}
}

static void
test_recent(void **state)
{
	got g = {0};
	store *s = must_open(*state);

	put_shuffled(s);
	assert_int_equal(store_recent(s, 3, collect, &g), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.r[i].hlc, ordered[NORDERED - 3 + i].hlc);
		assert_int_equal(g.r[i].sender, ordered[NORDERED - 3 + i].sender);
	}
	g = (got){0};
	assert_int_equal(store_recent(s, 100, collect, &g), NORDERED);
	assert_int_equal(g.r[0].sender, ordered[0].sender);
	assert_int_equal(store_recent(s, 0, collect, &g), 0);
	g = (got){.stop_after = 1};
	assert_int_equal(store_recent(s, 2, collect, &g), 1);
	assert_int_equal(g.r[0].sender, ordered[NORDERED - 2].sender);
	store_close(s);
}

static void
test_scan_order(void **state)
{
	got g = {0};
	store *s = must_open(*state);

	assert_int_equal(store_scan(s, collect, &g), 0);
	put_shuffled(s);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_scan(s, collect, &g), NORDERED);
	for (int i = 0; i < NORDERED; i++) {
		assert_int_equal(g.r[i].hlc, ordered[i].hlc);
		assert_int_equal(g.r[i].sender, ordered[i].sender);
		if (i > 0)
			assert_true(hist_cmp(g.r[i - 1].hlc, g.r[i - 1].sender, g.r[i].hlc,
					     g.r[i].sender) < 0);
	}
	store_close(s);
}

static void
test_mark(void **state)
{
	const char *dir = *state;
	uint64_t hlc = 1, sender = 1;
	store *s = must_open(dir);

	assert_int_equal(store_get_mark(s, &hlc, &sender), 0);
	assert_int_equal(hlc, 0);
	assert_int_equal(sender, 0);
	assert_int_equal(store_set_mark(s, 42, UINT64_MAX), 0);
	assert_true(store_dirty(s));
	assert_int_equal(store_set_mark(s, TOP | 43, TOP), 0); /* the last one wins */
	assert_int_equal(store_get_mark(s, &hlc, &sender), 0);
	assert_int_equal(hlc, TOP | 43);
	assert_int_equal(sender, TOP);
	assert_int_equal(store_commit(s), 0);
	store_close(s);

	s = must_open(dir);
	assert_int_equal(store_get_mark(s, &hlc, &sender), 0);
	assert_int_equal(hlc, TOP | 43);
	assert_int_equal(sender, TOP);
	store_close(s);
}

/*
 * Try store_create(dir); 0 when it failed, with why in err.  Root may
 * write anywhere, so as root the attempt runs in a child that became nobody.
 */
static int
open_fails(const char *dir, char *err, size_t errlen)
{
	int fd[2], status;
	ssize_t got_len;
	pid_t pid;

	store_identity who = tester();

	if (geteuid() != 0) {
		store *s = store_create(dir, &who, err, errlen);

		store_close(s);
		return s == NULL ? 0 : -1;
	}
	assert_int_equal(pipe(fd), 0);
	if ((pid = fork()) == 0) {
		close(fd[0]);
		if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(2);
		store *s = store_create(dir, &who, err, errlen);

		if (write(fd[1], err, strlen(err) + 1) < 0 || s != NULL)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	got_len = read(fd[0], err, errlen - 1);
	close(fd[0]);
	err[got_len > 0 ? got_len : 0] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		skip(); /* cmocka prints it: cannot become nobody here */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void
test_unwritable_dir(void **state)
{
	const char *dir = *state;
	char ro[512], missing[512], err[1024] = "";

	snprintf(missing, sizeof missing, "%s/missing", dir);
	assert_null(store_open(missing, err, sizeof err));
	assert_non_null(strstr(err, missing));

	snprintf(ro, sizeof ro, "%s/ro", dir);
	assert_int_equal(mkdir(ro, 0555), 0);
	assert_int_equal(chmod(dir, 0711), 0); /* nobody must reach ro */
	err[0] = '\0';
	assert_int_equal(open_fails(ro, err, sizeof err), 0);
	print_message("    unwritable: %s\n", err);
	assert_non_null(strstr(err, ro));
	assert_int_equal(chmod(ro, 0700), 0);
}

/*
 * A full disk, played by RLIMIT_FSIZE: writes past the limit fail with
 * EFBIG (SIGXFSZ ignored).  The batch fails in put or in commit, is rolled
 * back whole, and what was committed before is intact.
 */
static void
test_disk_full(void **state)
{
	const char *dir = *state;
	char text[60], path[512];
	struct rlimit old, lim;
	struct stat st;
	got g = {0};
	int rc = 0;
	store *s = must_open(dir);

	put(s, rec(1, 1, 1, "before"));
	assert_int_equal(store_commit(s), 0);
	memset(text, 'z', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	snprintf(path, sizeof path, "%s/history.db-wal", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 16384;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (uint64_t seq = 2; rc == 0 && seq < 20000; seq++) {
		hist_rec r = rec(1, seq, seq, text);

		rc = store_put(s, &r);
	}
	if (rc == 0)
		rc = store_commit(s);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(rc, -1);
	print_message("    disk full: %s\n", store_error(s));
	assert_non_null(strstr(store_error(s), dir));
	assert_false(store_dirty(s));
	assert_int_equal(store_scan(s, collect, &g), 1);
	store_close(s);
	s = must_open(dir);
	g = (got){0};
	assert_int_equal(store_scan(s, collect, &g), 1);
	assert_memory_equal(g.text[0], "before", 6);
	store_close(s);
}

static void
test_created_whole(void **state)
{
	const char *dir = *state;
	store_identity who = tester(), got_who;
	struct stat st;
	store *s = must_open(dir);

	assert_int_equal(stat(path_in(dir, "history.db.new"), &st), -1); /* renamed away */
	assert_int_equal(stat(path_in(dir, "history.db"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(store_get_identity(s, &got_who), 1);
	assert_int_equal(got_who.id, who.id);
	assert_string_equal(got_who.nick, who.nick);
	assert_memory_equal(got_who.sk, who.sk, sizeof who.sk);
	assert_int_equal(store_secret_kept(s), 0);
	assert_int_equal(store_set_secret_kept(s), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	s = must_open(dir);
	assert_int_equal(store_secret_kept(s), 1);
	store_close(s);
	char err[256];
	assert_int_equal(store_exists(path_in(dir, "nowhere"), err, sizeof err), 0);
}

static void
test_empty_file_refused(void **state)
{
	const char *dir = *state;
	struct stat st;

	spill(path_in(dir, "history.db"), (const unsigned char *)"", 0);
	refused(dir, "is empty");
	assert_int_equal(stat(path_in(dir, "history.db-wal"), &st), -1);
}

/* A store of n records, closed. */
static void
fill_store(const char *dir, int n)
{
	store *s = must_open(dir);

	for (int i = 1; i <= n; i++)
		put(s, rec(7, (uint64_t)i, (uint64_t)i, "a line of the history, long enough"));
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

static void
test_damaged_file_refused(void **state)
{
	const char *dir = *state;
	size_t len;
	unsigned char *raw;

	fill_store(dir, 600);
	raw = slurp(path_in(dir, "history.db"), &len);
	size_t page = (size_t)raw[16] << 8 | raw[17], mid = len / page / 2 * page;
	for (size_t i = mid; i < mid + 8; i++) /* a page header in the middle */
		raw[i] ^= 0xFF;
	spill(path_in(dir, "history.db"), raw, len);
	free(raw);
	refused(dir, "is damaged");
}

static void
test_not_a_database_refused(void **state)
{
	const char *dir = *state;
	unsigned char junk[4096];

	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(i * 7 + 3);
	spill(path_in(dir, "history.db"), junk, sizeof junk);
	refused(dir, "is damaged");
}

/* Run sql on dir/history.db behind the store's back. */
static void
tamper(const char *dir, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path_in(dir, "history.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void
test_store_without_identity_refused(void **state)
{
	const char *dir = *state;

	fill_store(dir, 3);
	tamper(dir, "DELETE FROM identity");
	refused(dir, "no identity");
}

static void
test_foreign_database_refused(void **state)
{
	const char *dir = *state;

	tamper(dir, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	refused(dir, "not a Chorus history");
}

/*
 * A store that cannot be written is refused at open.  A child commits
 * records and dies without closing, so they are still in the log; a file
 * size limit (a full disk) then keeps the checkpoint from growing the file.
 * Once the limit is lifted the store opens and holds them all.
 */
static void
test_unwritable_at_open_refused(void **state)
{
	const char *dir = *state;
	struct rlimit old, lim;
	struct stat st;
	char err[2048] = "";
	got g = {0};
	int status;
	pid_t pid;
	store *s;

	if ((pid = fork()) == 0) {
		s = must_open(dir);
		for (uint64_t seq = 1; seq <= 60; seq++)
			put(s, rec(9, seq, seq, "still in the log when the child dies"));
		_exit(store_commit(s) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(stat(path_in(dir, "history.db"), &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	s = store_open(dir, err, sizeof err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_null(s);
	print_message("    unwritable: %s\n", err);
	assert_non_null(strstr(err, "cannot write history"));
	assert_non_null(strstr(err, dir));
	s = must_open(dir);
	assert_int_equal(store_range(s, 9, 1, MAX_GOT, collect, &g), 60);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_text_and_long_nick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_vanish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_without_identity_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_at_open_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
