/*
 * connect — `chorus connect NICK HOST:PORT[,HOST:PORT...]`: the thin
 * client's shell.  One IRC connection at a time to the listed gateways,
 * moving to the next one when it breaks; the screen and the keyboard
 * through term; the logic in thin (src/front/thin/thin.c).  The connection is
 * conn's (conn.h), framed as CR LF lines.
 */
#include "connect.h"

#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "conn.h"
#include "exit_code.h"
#include "nick.h"
#include "opts.h"
#include "secret.h"
#include "term.h"
#include "thin.h"
#include "xalloc.h"

#define CONNECT_MAX_ADDRS 16
#define CONNECT_LINE 16384 /* a line from the gateway, its LF too */
#define CONNECT_QUIT_WAIT 10000 /* ms to wait for lines typed last */

typedef struct addr {
	char host[64];
	uint16_t port;
} addr;

typedef struct connect_client {
	uv_loop_t *loop;
	thin *core;
	addr addrs[CONNECT_MAX_ADDRS];
	int naddrs;
	int next;               /* the address to try next */
	int tried;              /* failures since the last registration */
	conn *conn;             /* the connection, or NULL */
	bool up;
	uv_timer_t retry;
	uv_timer_t quit;
	uv_signal_t sigint, sigterm;
	int exit_code;
	bool exiting;
	bool verbose;
} connect_client;

static const char usage_text[] =
	"usage: chorus connect [OPTIONS] NICK HOST:PORT[,HOST:PORT...]\n"
	"\n"
	"Chat without running a node: attach to a node's IRC gateway (--irc), with\n"
	"the node's screen and commands.  When the node goes away, the next address\n"
	"is tried, and whatever was typed and not yet confirmed is sent again.\n"
	"\n"
	"      --secret-file FILE   the chat's secret, the gateway's PASS (also: env\n"
	"                           CHORUS_SECRET); not needed for a gateway on loopback\n"
	"  -v, --verbose            connection notes on stderr\n"
	"  -h, --help               this text\n"
	"  -V, --version            the version\n";

static void dial(connect_client *c);

static void
on_retry(uv_timer_t *t)
{
	dial(t->data);
}

static void
note(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "chorus: %s\n", line);
}

static void
drop(connect_client *c)
{
	if (c->conn == NULL)
		return;
	conn_close(c->conn, CONN_NOW);
	c->conn = NULL;
	if (c->up)
		thin_disconnected(c->core);
	c->up = false;
}

/* --- the core's callbacks ------------------------------------------------------ */

static void
io_send(void *ctx, const char *line, size_t len)
{
	connect_client *c = ctx;

	if (!c->up)
		return; /* thin sends again what matters once connected */
	conn_send(c->conn, line, len);
	conn_flush(c->conn);
}

static void retry_later(connect_client *c, const char *why);

static void
io_retry(void *ctx, const char *why)
{
	connect_client *c = ctx;

	c->next = (c->next + c->naddrs - 1) % c->naddrs; /* this address again */
	drop(c);
	retry_later(c, why);
}

static void
io_print(void *ctx, const char *line)
{
	(void)ctx;
	term_print(line);
}

static void
io_exit(void *ctx, int code)
{
	connect_client *c = ctx;

	if (c->exiting)
		return;
	c->exiting = true;
	c->exit_code = code;
	term_stop();
	if (c->conn)
		conn_close(c->conn, CONN_FLUSH); /* nothing more is read; the QUIT goes first */
	c->conn = NULL;
	c->up = false;
	uv_stop(c->loop); /* queued writes are best effort: the QUIT is a courtesy */
}

/* --- the connection --------------------------------------------------------------- */

static void
retry_later(connect_client *c, const char *why)
{
	const addr *a = &c->addrs[(c->next + c->naddrs - 1) % c->naddrs];

	if (c->exiting)
		return;
	if (c->verbose || c->tried == 0)
		fprintf(stderr, "chorus: %s:%u: %s\n", a->host, a->port, why);
	c->tried++;
	uv_timer_start(&c->retry, on_retry, conn_backoff(c->tried, c->naddrs), 0);
}

static void
on_line(conn *cn, const char *line, size_t len)
{
	connect_client *c = conn_data(cn);

	thin_line(c->core, line, len); /* it may end, or drop the connection */
}

static void
on_up(conn *cn)
{
	connect_client *c = conn_data(cn);

	c->up = true;
	c->tried = 0;
	thin_connected(c->core);
}

static void
on_fail(conn *cn, int err)
{
	connect_client *c = conn_data(cn);
	bool was_up = c->up;

	drop(c);
	if (err == CONN_ETOOLONG)
		retry_later(c, "the node sent a line too long");
	else if (was_up)
		retry_later(c, "connection lost; trying the next node");
	else
		retry_later(c, conn_strerror(err));
}

static const conn_handlers handlers = {.up = on_up, .line = on_line, .fail = on_fail};

static void
dial(connect_client *c)
{
	const addr *a = &c->addrs[c->next];

	c->next = (c->next + 1) % c->naddrs;
	if (c->verbose)
		fprintf(stderr, "chorus: connecting to %s:%u\n", a->host, a->port);
	if (conn_connect(c->loop, a->host, a->port, &handlers, c, &c->conn) != 0) {
		c->conn = NULL;
		retry_later(c, "cannot resolve");
		return;
	}
	conn_frame_lines(c->conn, CONNECT_LINE - 1);
}

/* --- the user ---------------------------------------------------------------------- */

static void
on_quit_timeout(uv_timer_t *t)
{
	connect_client *c = t->data;

	thin_quit(c->core); /* the second time: at once */
}

static void
quit(connect_client *c)
{
	thin_quit(c->core);
	if (!c->exiting)
		uv_timer_start(&c->quit, on_quit_timeout, CONNECT_QUIT_WAIT, 0);
}

static void
term_line(void *ctx, const char *line, size_t len)
{
	thin_input(((connect_client *)ctx)->core, line, len);
}

static void
term_eof(void *ctx)
{
	quit(ctx);
}

static void
on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	quit(s->data);
}

/* --- the command line ---------------------------------------------------------------- */

static int
usage_error(const char *what)
{
	fprintf(stderr, "chorus connect: %s\nTry 'chorus connect --help'.\n", what);
	return CHORUS_EXIT_USAGE;
}

/* The addresses into c; NULL, or what is wrong with them. */
static const char *
parse_addrs(connect_client *c, const char *list)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof buf, "%s", list);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (c->naddrs == CONNECT_MAX_ADDRS)
			return "too many addresses";
		addr *a = &c->addrs[c->naddrs];
		if (!opts_split_addr(tok, a->host, sizeof a->host, &a->port) || a->port == 0)
			return "addresses are HOST:PORT, separated by commas";
		c->naddrs++;
	}
	return c->naddrs ? NULL : "an address is required";
}

/* The secret as a password: the file's text (one line), or CHORUS_SECRET. */
static char *
password(const char *file)
{
	const char *env = getenv("CHORUS_SECRET");
	char buf[SECRET_MAX + 2];
	size_t n;

	if (file == NULL)
		return env && *env ? xstrdup(env) : NULL;
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	return xstrndup(buf, n);
}

int
connect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"secret-file", required_argument, NULL, 's'}, {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0},
	};
	static connect_client c;
	const char *secret_file = NULL;
	char session[16];
	const char *bad;
	int k;

	opterr = 0;
	optind = 1;
	while ((k = getopt_long(argc, argv, "+vhV", opts, NULL)) != -1) {
		switch (k) {
		case 's': secret_file = optarg; break;
		case 'v': c.verbose = true; break;
		case 'h': fputs(usage_text, stdout); return CHORUS_EXIT_LEFT;
		case 'V': printf("chorus %s\n", CHORUS_VERSION); return CHORUS_EXIT_LEFT;
		default: return usage_error("invalid option");
		}
	}
	if (argc - optind != 2)
		return usage_error("a NICK and the nodes' HOST:PORT list are expected");
	if (nick_check(argv[optind], strlen(argv[optind])))
		return usage_error(nick_check(argv[optind], strlen(argv[optind])));
	if ((bad = parse_addrs(&c, argv[optind + 1])) != NULL)
		return usage_error(bad);
	char *pass = password(secret_file);
	if (secret_file && pass == NULL) {
		fprintf(stderr, "chorus connect: cannot read %s\n", secret_file);
		return CHORUS_EXIT_IO;
	}
	snprintf(session, sizeof session, "%08x", randombytes_random());
	thin_io io = {&c, io_send, io_print, note, io_retry, io_exit};
	c.core = thin_new(argv[optind], pass, session, &io);
	free(pass);
	signal(SIGPIPE, SIG_IGN);
	c.loop = uv_default_loop();
	uv_timer_init(c.loop, &c.retry);
	uv_timer_init(c.loop, &c.quit);
	c.retry.data = c.quit.data = &c;
	uv_signal_init(c.loop, &c.sigint);
	uv_signal_init(c.loop, &c.sigterm);
	c.sigint.data = c.sigterm.data = &c;
	uv_signal_start(&c.sigint, on_signal, SIGINT);
	uv_signal_start(&c.sigterm, on_signal, SIGTERM);
	term_callbacks tc = {&c, term_line, term_eof};
	if (term_start(c.loop, &tc, false) != 0) {
		fprintf(stderr, "chorus connect: cannot read standard input\n");
		return CHORUS_EXIT_IO;
	}
	dial(&c);
	uv_run(c.loop, UV_RUN_DEFAULT);
	/* Let the last writes (the QUIT) go out. */
	uv_run(c.loop, UV_RUN_NOWAIT);
	thin_free(c.core);
	fflush(stdout);
	return c.exit_code;
}
