/* term — see term.h. */
#include "term.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "lines.h"
#include "xalloc.h"

#define TERM_CHUNK 16384  /* one read of a pipe */

static struct {
	uv_loop_t *loop;
	term_callbacks cb;
	bool tty;
	bool active;
	uv_poll_t poll;        /* tty: readline reads when fd 0 is readable */
	uv_signal_t winch;
	uv_pipe_t pipe;        /* pipe or socket on stdin */
	uv_fs_t fsreq;         /* regular file on stdin */
	char fsbuf[4096];
	int64_t fsoff;
	char buf[TERM_MAX_LINE + TERM_CHUNK]; /* an unfinished line, and what came after it */
	size_t len;
	lines split;           /* a line longer than TERM_MAX_LINE is cut, its rest dropped */
	bool held;             /* reading paused (term_hold) */
	bool file_reading;     /* a read of a regular file is in flight */
	struct termios saved;  /* tty: the modes we found, for a fatal signal */
} T;

/* --- plain lines ------------------------------------------------------- */

/* Hand up the whole lines in T.buf; keep the unfinished one at the front. */
static void
take_lines(void)
{
	size_t off, n;

	while (T.active && lines_next(&T.split, T.buf, T.len, &off, &n) == LINES_LINE)
		T.cb.line(T.cb.ctx, T.buf + off, n);
	size_t done = lines_shift(&T.split);
	memmove(T.buf, T.buf + done, T.len - done);
	T.len -= done;
}

static void
feed(const char *data, size_t n)
{
	while (n > 0 && T.active) {
		size_t k = sizeof T.buf - T.len < n ? sizeof T.buf - T.len : n;
		memcpy(T.buf + T.len, data, k);
		T.len += k;
		data += k;
		n -= k;
		take_lines();
	}
}

static void
on_eof(void)
{
	size_t off, n;

	if (T.active && lines_rest(&T.split, T.buf, T.len, &off, &n))
		T.cb.line(T.cb.ctx, T.buf + off, n);
	T.len = 0;
	if (T.active)
		T.cb.eof(T.cb.ctx);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char chunk[TERM_CHUNK];

	(void)h;
	(void)hint;
	*buf = uv_buf_init(chunk, sizeof chunk);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)s;
	if (n < 0) {
		uv_read_stop((uv_stream_t *)&T.pipe);
		on_eof();
		return;
	}
	feed(buf->base, (size_t)n);
}

static void read_file(void);

static void
on_file(uv_fs_t *req)
{
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	T.file_reading = false;
	if (n <= 0) {
		on_eof();
		return;
	}
	T.fsoff += n;
	feed(T.fsbuf, (size_t)n);
	if (T.active && !T.held)
		read_file();
}

static void
read_file(void)
{
	uv_buf_t b = uv_buf_init(T.fsbuf, sizeof T.fsbuf);

	T.file_reading = true;
	uv_fs_read(T.loop, &T.fsreq, 0, &b, 1, -1, on_file);
}

/* --- readline on a terminal ------------------------------------------- */

static void
on_rl_line(char *line)
{
	if (line == NULL) {
		on_eof();
		return;
	}
	if (*line)
		add_history(line);
	size_t len = strlen(line);
	T.cb.line(T.cb.ctx, line, len > TERM_MAX_LINE ? TERM_MAX_LINE : len);
	free(line);
}

static void
on_readable(uv_poll_t *p, int status, int events)
{
	(void)p;
	(void)events;
	if (status == 0)
		rl_callback_read_char();
}

static void
on_winch(uv_signal_t *s, int sig)
{
	(void)s;
	(void)sig;
	rl_resize_terminal();
}

/*
 * Give the terminal back as we found it: readline's modes undone (its
 * handler removed: rl_deprep_terminal), what was typed but not entered
 * left on the screen with the cursor on a fresh line, a bare prompt
 * erased.  Only while readline has the terminal.
 */
static void
tty_give_back(void)
{
	if (!T.tty || !T.active)
		return;
	if (rl_end > 0) {
		rl_point = rl_end;
		rl_redisplay();
		fputs("\n", stdout);
	} else {
		rl_clear_visible_line();
	}
	fflush(stdout);
	rl_callback_handler_remove();
}

/* exit() from anywhere (a store failure, a refusal): the terminal too. */
static void
on_exit_tty(void)
{
	tty_give_back();
	T.active = false;
}

/*
 * SIGQUIT (Ctrl-\) is a crash on purpose: no LEAVE, a core.  The modes
 * are put back first (tcsetattr is async-signal-safe; readline is not),
 * then the signal does what it would have done (SA_RESETHAND).
 */
static void
on_quit(int sig)
{
	tcsetattr(0, TCSANOW, &T.saved);
	raise(sig);
}

static int
start_tty(void)
{
	struct sigaction sa = {.sa_handler = on_quit, .sa_flags = SA_RESETHAND};

	if (tcgetattr(0, &T.saved) == 0) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGQUIT, &sa, NULL);
	}
	atexit(on_exit_tty);
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_callback_handler_install("-> ", on_rl_line);
	uv_signal_init(T.loop, &T.winch);
	uv_signal_start(&T.winch, on_winch, SIGWINCH);
	uv_poll_init(T.loop, &T.poll, 0);
	return uv_poll_start(&T.poll, UV_READABLE, on_readable);
}

/* --- the face ---------------------------------------------------------- */

int
term_start(uv_loop_t *loop, const term_callbacks *cb, bool headless)
{
	T.loop = loop;
	T.cb = *cb;
	T.tty = isatty(0) && isatty(1) && !headless;
	lines_init(&T.split, TERM_MAX_LINE, LINES_CUT);
	if (headless)
		return 0;
	T.active = true;
	if (T.tty)
		return start_tty();
	switch (uv_guess_handle(0)) {
	case UV_NAMED_PIPE:
	case UV_TCP:
		uv_pipe_init(loop, &T.pipe, 0);
		uv_pipe_open(&T.pipe, 0);
		return uv_read_start((uv_stream_t *)&T.pipe, on_alloc, on_read);
	default:
		read_file();
		return 0;
	}
}

void
term_print(const char *line)
{
	if (T.tty && T.active) {
		rl_clear_visible_line();
		fprintf(stdout, "%s\n", line);
		fflush(stdout);
		rl_on_new_line();
		rl_redisplay();
		return;
	}
	fprintf(stdout, "%s\n", line);
	fflush(stdout);
}

void
term_hold(bool hold)
{
	if (!T.active || T.held == hold)
		return;
	T.held = hold;
	if (T.tty) {
		if (hold)
			uv_poll_stop(&T.poll);
		else
			uv_poll_start(&T.poll, UV_READABLE, on_readable);
	} else if (T.pipe.type == UV_NAMED_PIPE) {
		if (hold)
			uv_read_stop((uv_stream_t *)&T.pipe);
		else
			uv_read_start((uv_stream_t *)&T.pipe, on_alloc, on_read);
	} else if (!hold && !T.file_reading) {
		read_file();
	}
}

void
term_stop(void)
{
	if (!T.active)
		return;
	tty_give_back();
	T.active = false;
	if (T.tty) {
		signal(SIGQUIT, SIG_DFL);
		uv_poll_stop(&T.poll);
		uv_close((uv_handle_t *)&T.poll, NULL);
		uv_close((uv_handle_t *)&T.winch, NULL);
		return;
	}
	if (uv_is_active((uv_handle_t *)&T.pipe) || T.pipe.type == UV_NAMED_PIPE) {
		uv_read_stop((uv_stream_t *)&T.pipe);
		if (!uv_is_closing((uv_handle_t *)&T.pipe))
			uv_close((uv_handle_t *)&T.pipe, NULL);
	}
}
