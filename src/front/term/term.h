/*
 * term — the node's user interface on standard input and output.
 *
 * On a terminal (stdin and stdout both ttys): a "-> " prompt with line
 * editing through GNU Readline's callback interface, driven by the libuv
 * loop; an incoming line is printed above the prompt and the line being
 * typed is redrawn intact.  Otherwise: plain lines in, plain lines out,
 * stdout flushed per line, no prompt and no colours.  However the node
 * ends, the terminal is left in the modes it was found in.
 */
#ifndef CHORUS_TERM_H
#define CHORUS_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct term_callbacks {
	void *ctx;
	void (*line)(void *ctx, const char *line, size_t len);
	void (*eof)(void *ctx);
} term_callbacks;

/* Start reading standard input (unless headless).  0 or -errno. */
int term_start(uv_loop_t *loop, const term_callbacks *cb, bool headless);

/* Print one line (no newline) to standard output. */
void term_print(const char *line);

/* Pause reading standard input (flow control), or resume it. */
void term_hold(bool hold);

/*
 * Stop reading and give the terminal back as it was (readline's modes
 * undone).  Call it before printing why the node stops.  Exiting without
 * it gives the terminal back too (an atexit handler), and so does
 * SIGQUIT (Ctrl-\), which then ends the process as it would have.
 */
void term_stop(void);

/* Longest line passed up; a longer one is cut (the core then refuses it). */
#define TERM_MAX_LINE 8192

#endif
