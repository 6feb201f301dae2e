/*
 * The store tests' fixture (store_fixture.c), shared by
 * tests/unit/test_store_*.c: each test's store lives in a fresh directory
 * under /tmp, made by setup (its path in *state) and removed by teardown.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TOP   UINT64_C(0x8000000000000000)
#define MAX_GOT 64

/* What a visitor saw, copied out of SQLite's memory. */
typedef struct got {
	hist_rec r[MAX_GOT];
	char text[MAX_GOT][64];
	int n;
	int stop_after; /* 0: never stop */
} got;

/* The visitor that fills a got (arg). */
bool collect(void *arg, const hist_rec *r);
/* A record of sender's, its nick made from the sender. */
hist_rec rec(uint64_t sender, uint64_t seq, uint64_t hlc, const char *text);
/* The identity every test store is created with. */
store_identity tester(void);
/* Open the store in dir, creating it the first time. */
store *must_open(const char *dir);
/* dir/name, in a static buffer. */
char *path_in(const char *dir, const char *name);
/* store_put, which must succeed. */
void put(store *s, hist_rec r);

/* A fresh directory for each test, and its removal (cmocka's setup and teardown). */
int setup(void **state);
int teardown(void **state);

#endif
