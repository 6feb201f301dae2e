/*
 * thin — the thin client's logic (`chorus connect`): a chat user without
 * a replica, attached to a node's IRC gateway, with the node's screen and
 * commands.
 *
 * It registers (PASS, CAP server-time echo-message message-tags, NICK,
 * USER), joins the channel, and turns what the gateway says into the
 * lines a node prints (SPEC section 4).  Every line typed is tagged
 * (+chorus.dev/id) and kept until the gateway echoes it back from the
 * history; when the connection breaks, the shell connects to the next
 * node and everything not echoed yet is sent again.  The gateway shows a
 * tag once, so a line that did get through before the break is not shown
 * twice; lines replayed on return that were seen already (by msgid, in
 * history order) are skipped.
 *
 * Pure: lines in, lines out, through the callbacks.  No I/O, no clock.
 */
#ifndef CHORUS_THIN_H
#define CHORUS_THIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct thin thin;

typedef struct thin_io {
	void *ctx;
	/* A line to the gateway (no CR LF). */
	void (*send)(void *ctx, const char *line, size_t len);
	/* A line for the screen (already escaped). */
	void (*print)(void *ctx, const char *line);
	/* A note for standard error. */
	void (*note)(void *ctx, const char *line);
	/*
	 * Drop this connection and try again later (the node still holds our
	 * nick for the session we lost: it has not seen the old node die yet).
	 */
	void (*retry)(void *ctx, const char *why);
	/* Done: the shell closes and exits with this code (CHORUS_EXIT_*, exit_code.h). */
	void (*exit)(void *ctx, int code);
} thin_io;

/* session: a few characters that name this run (tags begin with them). */
thin *thin_new(const char *nick, const char *password, const char *session,
	       const thin_io *io);
void thin_free(thin *t);

/* A connection to a gateway is up: register. */
void thin_connected(thin *t);
/* A line from the gateway (without CR LF). */
void thin_line(thin *t, const char *line, size_t len);
/* The connection is gone: what was not echoed is sent again on the next. */
void thin_disconnected(thin *t);
/* A line the user typed. */
void thin_input(thin *t, const char *line, size_t len);
/*
 * End of input or a signal: leave once every line typed is confirmed; a
 * second call leaves at once.
 */
void thin_quit(thin *t);

/* Lines typed and not yet echoed back from the history. */
int thin_pending(const thin *t);

#endif
