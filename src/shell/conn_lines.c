/*
 * conn_lines — the framer of CR LF lines (conn_frame_lines): IRC either
 * way, split by lines.h.  A line longer than its max fails the
 * connection (CONN_ETOOLONG); a line sent gets its CR LF.
 */
#include "conn_int.h"

#include "xalloc.h"

static size_t
lines_room(conn *c, void *state, size_t held)
{
	const lines *l = state;

	(void)c;
	return l->max + 1 - held; /* a line and its LF: never more is held */
}

static size_t
lines_read(conn *c, void *state, uint8_t *buf, size_t len)
{
	lines *l = state;
	size_t off, n;
	int rc;

	while ((rc = lines_next(l, (const char *)buf, len, &off, &n)) == LINES_LINE) {
		c->h->line(c, (const char *)buf + off, n);
		if (c->closing || c->failed)
			return 0;
	}
	if (rc == LINES_TOO_LONG) {
		conn_fail(c, CONN_ETOOLONG);
		return 0;
	}
	return lines_shift(l);
}

static void
lines_encode(conn *c, void *state, const uint8_t *frame, size_t len)
{
	(void)state;
	conn_put(c, frame, len);
	conn_put(c, "\r\n", 2);
}

static const conn_framer lines_framer = {lines_room, lines_read, lines_encode, NULL};

void
conn_frame_lines(conn *c, size_t max)
{
	c->split = xmalloc(sizeof *c->split);
	lines_init(c->split, max, LINES_FAIL);
	conn_frame(c, &lines_framer, c->split);
}
