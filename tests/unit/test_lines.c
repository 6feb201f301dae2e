/* Unit tests of the line splitter: LF and CR LF, reads cut anywhere, the two overflow rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lines.h"

/* A caller as the shell's: a buffer, bytes appended in reads of `chunk`, lines collected. */
typedef struct feeder {
	lines l;
	char buf[256];
	size_t len;
	char got[16][64];
	int n;
	int rc;                 /* the last lines_next */
} feeder;

static void
take(feeder *f)
{
	size_t off, n;

	while ((f->rc = lines_next(&f->l, f->buf, f->len, &off, &n)) == LINES_LINE) {
		assert_true(f->n < 16);
		snprintf(f->got[f->n++], sizeof f->got[0], "%.*s", (int)n, f->buf + off);
	}
	size_t done = lines_shift(&f->l);
	memmove(f->buf, f->buf + done, f->len - done);
	f->len -= done;
}

static void
feed(feeder *f, const char *s, size_t chunk)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n && f->rc != LINES_TOO_LONG; i += chunk) {
		size_t k = n - i < chunk ? n - i : chunk;
		assert_true(f->len + k <= sizeof f->buf);
		memcpy(f->buf + f->len, s + i, k);
		f->len += k;
		take(f);
	}
}

static void
test_lf_and_crlf(void **state)
{
	feeder f = {0};

	(void)state;
	lines_init(&f.l, 64, LINES_FAIL);
	feed(&f, "PING a\r\nPING b\n\r\nPART", 1000);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.got[0], "PING a");
	assert_string_equal(f.got[1], "PING b");
	assert_string_equal(f.got[2], "");
	assert_int_equal(f.rc, LINES_MORE);
	assert_int_equal(f.len, 4); /* the unfinished line waits at the front */
	assert_memory_equal(f.buf, "PART", 4);
	feed(&f, "\n", 1);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.got[3], "PART");
	assert_int_equal(f.len, 0);
}

/* However the stream is cut into reads, the same lines come out. */
static void
test_any_cut_gives_the_same_lines(void **state)
{
	const char *s = "one\r\ntwo\n\nthree\r\r\nfour\rfive\n";

	(void)state;
	for (size_t chunk = 1; chunk < 12; chunk++) {
		feeder f = {0};
		lines_init(&f.l, 16, LINES_FAIL);
		feed(&f, s, chunk);
		assert_int_equal(f.n, 5);
		assert_string_equal(f.got[0], "one");
		assert_string_equal(f.got[1], "two");
		assert_string_equal(f.got[2], "");
		assert_string_equal(f.got[3], "three\r");
		assert_string_equal(f.got[4], "four\rfive");
		assert_int_equal(f.len, 0);
	}
}

/* The splitter remembers how far it looked: a read adds only its own bytes to scan. */
static void
test_no_rescan(void **state)
{
	lines l;
	char buf[32] = "abcdef";
	size_t off, n;

	(void)state;
	lines_init(&l, 30, LINES_FAIL);
	assert_int_equal(lines_next(&l, buf, 6, &off, &n), LINES_MORE);
	assert_int_equal(l.scan, 6);
	buf[2] = '\n'; /* behind the scan: not looked at again */
	memcpy(buf + 6, "gh\n", 3);
	assert_int_equal(lines_next(&l, buf, 9, &off, &n), LINES_LINE);
	assert_int_equal(off, 0);
	assert_int_equal(n, 8);
	assert_int_equal(lines_shift(&l), 9);
}

/* IRC: a line of max bytes passes, one byte more is an error, and stays one. */
static void
test_fail_mode(void **state)
{
	feeder f = {0};

	(void)state;
	lines_init(&f.l, 8, LINES_FAIL);
	feed(&f, "12345678\nx\n1234567\r\n", 3);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.got[0], "12345678");
	assert_string_equal(f.got[2], "1234567");
	feed(&f, "ok\n123456789", 4); /* too long before any LF came */
	assert_int_equal(f.rc, LINES_TOO_LONG);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.got[3], "ok");
	size_t off, n;
	assert_int_equal(lines_next(&f.l, f.buf, f.len, &off, &n), LINES_TOO_LONG);
	assert_false(lines_rest(&f.l, f.buf, f.len, &off, &n));

	/* A CR counts: 8 bytes and CR LF is too long. */
	feeder g = {0};
	lines_init(&g.l, 8, LINES_FAIL);
	feed(&g, "12345678\r\n", 100);
	assert_int_equal(g.rc, LINES_TOO_LONG);
	assert_int_equal(g.n, 0);
}

/* The terminal: an over-long line is cut to max at once, its rest dropped. */
static void
test_cut_mode(void **state)
{
	feeder f = {0};

	(void)state;
	lines_init(&f.l, 4, LINES_CUT);
	feed(&f, "abcd\nabcdefgh", 2);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.got[0], "abcd");
	assert_string_equal(f.got[1], "abcd"); /* cut before its end came */
	assert_int_equal(f.len, 0);            /* the rest is not kept */
	feed(&f, "ijk\r\nnext\r\n", 3);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.got[2], "next");
	feed(&f, "abc\r\r\n", 100); /* 4 bytes and a CR: cut, not stripped */
	assert_int_equal(f.n, 4);
	assert_string_equal(f.got[3], "abc\r");
	assert_int_equal(f.rc, LINES_MORE);
}

/* The end of the stream: the unfinished line, as it is, unless it was cut. */
static void
test_rest(void **state)
{
	feeder f = {0};
	size_t off, n;

	(void)state;
	lines_init(&f.l, 4, LINES_CUT);
	feed(&f, "a\nbc\r", 100);
	assert_true(lines_rest(&f.l, f.buf, f.len, &off, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(f.buf + off, "bc\r", 3);

	feeder g = {0};
	lines_init(&g.l, 4, LINES_CUT);
	feed(&g, "abcdef", 100);
	assert_false(lines_rest(&g.l, g.buf, g.len, &off, &n));
	feed(&g, "\n", 1);
	assert_false(lines_rest(&g.l, g.buf, g.len, &off, &n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf_and_crlf),
		cmocka_unit_test(test_any_cut_gives_the_same_lines),
		cmocka_unit_test(test_no_rescan),
		cmocka_unit_test(test_fail_mode),
		cmocka_unit_test(test_cut_mode),
		cmocka_unit_test(test_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
