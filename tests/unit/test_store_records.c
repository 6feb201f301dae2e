/*
 * Unit tests of the history store: its records, on real SQLite files in a
 * fresh directory under /tmp for each test.  What is committed survives a
 * reopen and what is not does not, empty texts and the longest nicks
 * included; duplicates are ignored; the three ways of reading visit the
 * right records in the right order (unsigned ids with the top bit set
 * included); the mark round-trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store_fixture.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
