/*
 * libFuzzer target: the line splitter (lines.c), against a model.
 *
 * The first two bytes choose the mode, max (1..64) and the size of the
 * reads; the rest is the stream.  The stream goes through lines_next as
 * the shell feeds it (a buffer of max + one read, shifted after every
 * read), and byte by byte through the model: the terminal's old loop
 * (LINES_CUT) or a line buffer of max + 1 bytes that must meet an LF
 * (LINES_FAIL, the gateway's and `chorus connect`'s rule).  Both must
 * give the same lines, the same end (too long or not) and the same rest,
 * and every line must lie inside the bytes held.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

typedef struct out {
	char *text;             /* the lines, each ended by a NUL */
	size_t len;
	int n;
	bool too_long;
} out;

static void
put(out *o, const char *p, size_t n)
{
	memcpy(o->text + o->len, p, n);
	o->len += n;
	o->text[o->len++] = '\0';
	o->n++;
}

/* The model: one byte at a time, as term.c and irc_lines did it. */
static void
model(const uint8_t *s, size_t size, size_t max, lines_mode mode, out *o, out *rest)
{
	char *line = malloc(max + 1);
	size_t len = 0;
	bool over = false;

	for (size_t i = 0; i < size && !o->too_long; i++) {
		if (s[i] != '\n') {
			if (len < max) {
				line[len++] = (char)s[i];
			} else if (mode == LINES_FAIL) {
				o->too_long = true;
			} else if (!over) {
				over = true;
				put(o, line, len);
			}
			continue;
		}
		size_t n = len && line[len - 1] == '\r' ? len - 1 : len;
		if (!over)
			put(o, line, n);
		len = 0;
		over = false;
	}
	if (!over && !o->too_long && len)
		put(rest, line, len);
	free(line);
}

static void
splitter(const uint8_t *s, size_t size, size_t max, lines_mode mode, size_t chunk, out *o,
	 out *rest)
{
	size_t cap = max + chunk, len = 0, off, n;
	char *buf = malloc(cap);
	lines l;
	int rc = LINES_MORE;

	lines_init(&l, max, mode);
	for (size_t i = 0; i < size && rc != LINES_TOO_LONG; i += chunk) {
		size_t k = size - i < chunk ? size - i : chunk;
		if (len + k > cap)
			abort(); /* the buffer never holds more than max and a read */
		memcpy(buf + len, s + i, k);
		len += k;
		while ((rc = lines_next(&l, buf, len, &off, &n)) == LINES_LINE) {
			if (off + n > len || n > max || memchr(buf + off, '\n', n))
				abort();
			put(o, buf + off, n);
		}
		size_t done = lines_shift(&l);
		if (done > len)
			abort();
		memmove(buf, buf + done, len - done);
		len -= done;
	}
	o->too_long = rc == LINES_TOO_LONG;
	if (lines_rest(&l, buf, len, &off, &n)) {
		if (off + n > len || n == 0)
			abort();
		put(rest, buf + off, n);
	}
	free(buf);
}

static bool
same(const out *a, const out *b)
{
	return a->n == b->n && a->len == b->len && a->too_long == b->too_long &&
	       memcmp(a->text, b->text, a->len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	lines_mode mode = data[0] & 1 ? LINES_CUT : LINES_FAIL;
	size_t max = 1 + (data[0] >> 1) % 64, chunk = 1 + data[1] % 97;
	size_t room = 2 * size + 2;
	out a = {malloc(room)}, b = {malloc(room)}, ra = {malloc(room)}, rb = {malloc(room)};

	data += 2;
	size -= 2;
	model(data, size, max, mode, &a, &ra);
	splitter(data, size, max, mode, chunk, &b, &rb);
	if (!same(&a, &b) || !same(&ra, &rb))
		abort();
	free(a.text);
	free(b.text);
	free(ra.text);
	free(rb.text);
	return 0;
}
