/*
 * The store tests' fixture (tests/unit/test_store_*.c): records to put, a
 * visitor that copies out what it is shown, the store of each test in a
 * fresh directory under /tmp (setup, teardown), created the first time
 * with the tester's identity.  See store_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store_fixture.h"

bool
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

hist_rec
rec(uint64_t sender, uint64_t seq, uint64_t hlc, const char *text)
{
	hist_rec r = {.sender = sender, .seq = seq, .hlc = hlc, .text = text,
		      .len = strlen(text)};

	snprintf(r.nick, sizeof r.nick, "n%llx", (unsigned long long)(sender & 0xffff));
	return r;
}

/* The identity every test store is created with. */
store_identity
tester(void)
{
	store_identity who = {.id = TOP | 42, .nick = "tester"};

	memset(who.pk, 0xA1, sizeof who.pk);
	memset(who.sk, 0xB2, sizeof who.sk);
	return who;
}

/* Open the store in dir, creating it the first time. */
store *
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

char *
path_in(const char *dir, const char *name)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

void
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

int
setup(void **state)
{
	char *dir = strdup("/tmp/test_store.XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

int
teardown(void **state)
{
	char *dir = *state;
	int rc = nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	free(dir);
	return rc;
}
