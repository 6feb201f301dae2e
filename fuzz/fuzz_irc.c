/*
 * libFuzzer target: the IRC lines a gateway reads from its clients and a
 * thin client reads from its gateway must survive any bytes.
 *
 * The whole input goes through lines_next as the gateway and the thin
 * client frame it (lines.h, LINES_FAIL), whose lines must lie inside it.  Then it is
 * split at '\n' again, each line in a buffer of its own size (so that
 * ASan sees an overread), and each line goes through the codec
 * (irc_parse, then irc_tag on the tags the gateway and the thin client
 * look up), whose results must point inside the line.  The whole stream
 * also goes to a thin client (thin_line), as if a hostile gateway had
 * sent it, with a line typed between gateway lines now and then.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "irc.h"
#include "lines.h"
#include "thin.h"

static void
nop_send(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (len && line[len - 1] == '\0')
		abort(); /* lines are counted, never NUL-ended inside */
}

static void
nop_print(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static void
nop_retry(void *ctx, const char *why)
{
	(void)ctx;
	(void)why;
}

static void
nop_exit(void *ctx, int code)
{
	(void)ctx;
	(void)code;
}

static void
inside(const char *line, size_t len, irc_str s)
{
	if (s.len && (s.ptr < line || s.ptr + s.len > line + len))
		abort();
}

static void
codec(const char *line, size_t len)
{
	irc_msg m;
	char v[64];

	if (!irc_parse(line, len, &m))
		return;
	inside(line, len, m.tags);
	inside(line, len, m.prefix);
	for (int i = 0; i < m.nparams; i++)
		inside(line, len, m.params[i]);
	if (m.command[0] == '\0' || strlen(m.command) > IRC_MAX_COMMAND)
		abort();
	irc_tag(&m, "msgid", v, sizeof v);
	irc_tag(&m, "+chorus.dev/id", v, 1);
	irc_tag(&m, "time", v, 0);
}

static void
framing(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off, n;
	lines l;
	int rc;

	lines_init(&l, 512, LINES_FAIL);
	while ((rc = lines_next(&l, buf, size, &off, &n)) == LINES_LINE)
		if (off + n > size || memchr(buf + off, '\n', n))
			abort();
	size_t done = lines_shift(&l);
	if (done > size || (rc == LINES_MORE && memchr(buf + done, '\n', size - done)))
		abort(); /* what is left is one unfinished line */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	thin_io io = {NULL, nop_send, nop_print, nop_print, nop_retry, nop_exit};
	thin *t = thin_new("tina", "pw", "f", &io);
	const char *p = (const char *)data, *e = p + size;
	int k = 0;

	framing(data, size);
	thin_connected(t);
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
		char *line = malloc(len ? len : 1); /* exact size: ASan sees overreads */
		memcpy(line, p, len);
		codec(line, len);
		thin_line(t, line, len);
		if (++k % 3 == 0)
			thin_input(t, line, len);
		free(line);
		p += len + 1;
	}
	thin_disconnected(t);
	thin_quit(t);
	thin_free(t);
	return 0;
}
