/*
 * Unit tests of the history store: its file, on real SQLite files in a
 * fresh directory under /tmp for each test.  A store is created whole with
 * its identity; an unwritable directory or a full disk fails with a
 * message that names the place.  Opening refuses, without changing a
 * byte, a file that is empty, damaged, without an identity or not
 * Chorus's, and one that cannot be written.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_fixture.h"

#define NOBODY  65534

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
