/*
 * lines — one splitter for every text stream cut into lines: the
 * terminal's standard input, what IRC clients send the gateway, and what
 * a gateway sends `chorus connect`.
 *
 * A line ends at LF; a CR just before the LF is not part of it.  The
 * caller owns the buffer: it appends what arrives, asks for lines with
 * lines_next until it says LINES_MORE, then drops the bytes lines_shift
 * says are done with from the front of its buffer.  The splitter
 * remembers how far it has looked, so a byte is scanned once however the
 * stream is cut into reads (no rescan from offset 0).
 *
 * A line longer than max bytes before its LF (a CR counted) is
 *   - LINES_CUT (the terminal): passed up cut to its first max bytes as
 *     soon as byte max + 1 arrives; the rest, up to its LF, is dropped;
 *   - LINES_FAIL (IRC): an error, LINES_TOO_LONG, from then on; the
 *     caller drops the connection.
 * So a caller's buffer never has to hold more than max bytes of a line,
 * plus what one read brings.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef CHORUS_LINES_H
#define CHORUS_LINES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum lines_mode {
	LINES_FAIL,     /* an over-long line is an error */
	LINES_CUT,      /* an over-long line is cut, its rest dropped */
} lines_mode;

enum {
	LINES_TOO_LONG = -1,    /* LINES_FAIL: a line is longer than max */
	LINES_MORE = 0,         /* no whole line in the buffer yet */
	LINES_LINE = 1,         /* a line: *off, *len */
};

typedef struct lines {
	size_t max;             /* the most bytes of a line before its LF */
	lines_mode mode;
	size_t start;           /* where the line being looked at begins */
	size_t scan;            /* buf[start..scan) holds no LF */
	bool skip;              /* dropping the rest of a line that was cut */
	bool failed;            /* LINES_TOO_LONG was said: it stays so */
} lines;

void lines_init(lines *l, size_t max, lines_mode mode);

/*
 * The next line in buf[0..len), the caller's bytes since the last
 * lines_shift (len never shrinks between the two).  LINES_LINE: the line,
 * without its CR LF, is buf[*off..*off + *n); it stays there until
 * lines_shift.  LINES_MORE: every whole line has been taken.
 * LINES_TOO_LONG: see above; every later call says it again.
 */
int lines_next(lines *l, const char *buf, size_t len, size_t *off, size_t *n);

/*
 * The bytes at the front of the buffer that are done with (lines taken,
 * the dropped rest of a cut line).  The caller removes them (memmove the
 * rest to the front) before it appends more; the splitter counts from
 * the new front.  Lines returned before are no longer valid.
 */
size_t lines_shift(lines *l);

/*
 * End of the stream: the unfinished line in buf[0..len) (after
 * lines_shift), as it is (a CR at its end kept), unless it is the rest of
 * a cut line or empty.  True when there is one: buf[*off..*off + *n).
 */
bool lines_rest(const lines *l, const char *buf, size_t len, size_t *off, size_t *n);

#endif
