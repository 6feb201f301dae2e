/* lines — see lines.h. */
#include "lines.h"

#include <string.h>

void
lines_init(lines *l, size_t max, lines_mode mode)
{
	*l = (lines){.max = max, .mode = mode};
}

/* The line buf[start..lf) ends: hand it out without its CR, and move past its LF. */
static int
line_at(lines *l, const char *buf, size_t lf, size_t *off, size_t *n)
{
	size_t end = lf > l->start && buf[lf - 1] == '\r' ? lf - 1 : lf;

	*off = l->start;
	*n = end - l->start;
	l->start = l->scan = lf + 1;
	return LINES_LINE;
}

/* A line passed max bytes: cut it (its first max bytes), or fail. */
static int
too_long(lines *l, size_t *off, size_t *n)
{
	if (l->mode == LINES_FAIL) {
		l->failed = true;
		return LINES_TOO_LONG;
	}
	*off = l->start;
	*n = l->max;
	l->start = l->scan = l->start + l->max;
	l->skip = true;
	return LINES_LINE;
}

int
lines_next(lines *l, const char *buf, size_t len, size_t *off, size_t *n)
{
	while (!l->failed && l->scan < len) {
		const char *lf = memchr(buf + l->scan, '\n', len - l->scan);
		size_t end = lf ? (size_t)(lf - buf) : len;
		if (l->skip) {
			/* The rest of a cut line: done with as it is scanned. */
			l->start = l->scan = lf ? end + 1 : end;
			l->skip = lf == NULL;
			continue;
		}
		if (end - l->start > l->max)
			return too_long(l, off, n);
		if (lf == NULL) {
			l->scan = len;
			break;
		}
		return line_at(l, buf, end, off, n);
	}
	return l->failed ? LINES_TOO_LONG : LINES_MORE;
}

size_t
lines_shift(lines *l)
{
	size_t done = l->start;

	l->start = 0;
	l->scan -= done;
	return done;
}

bool
lines_rest(const lines *l, const char *buf, size_t len, size_t *off, size_t *n)
{
	(void)buf;
	if (l->skip || l->failed || len <= l->start)
		return false;
	*off = l->start;
	*n = len - l->start;
	return true;
}
