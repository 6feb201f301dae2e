/*
 * run — a node's life in the shell: open the data directory, listen, start
 * the loop, and wire the pure core to the network (net), the user (term),
 * the clock (uv_now, sampled once per loop pass) and the signals.
 */
#include "run.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "ident.h"
#include "net.h"
#include "node.h"
#include "term.h"

typedef struct runner {
	uv_loop_t *loop;
	const node_opts *opts;
	node *core;
	net *net;
	uv_timer_t tick;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	int exit_code;
	bool exiting;
} runner;

static uint64_t
now_of(runner *r)
{
	return uv_now(r->loop);
}

/* --- the core's callbacks ---------------------------------------------- */

static uint32_t
io_connect(void *ctx, const char *host, uint16_t port)
{
	runner *r = ctx;

	return net_connect(r->net, host, port);
}

static void
io_send(void *ctx, uint32_t link, const uint8_t *frame, size_t len)
{
	runner *r = ctx;

	net_send(r->net, link, frame, len);
}

static void
io_close(void *ctx, uint32_t link)
{
	runner *r = ctx;

	net_close(r->net, link);
}

static void
io_event(void *ctx, const event *ev)
{
	runner *r = ctx;
	char line[4 * 4096 + 256];
	size_t off = 0;

	if (r->opts->timestamps) {
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		off = strftime(line, sizeof line, "%H:%M:%S ", &tm);
	}
	event_format(ev, line + off, sizeof line - off);
	term_print(line);
}

static void
io_log(void *ctx, int level, const char *text)
{
	runner *r = ctx;

	if (level == NODE_LOG_ALWAYS || r->opts->verbose)
		fprintf(stderr, "chorus: %s\n", text);
}

static void
on_closed_all(void *ctx)
{
	runner *r = ctx;

	uv_stop(r->loop);
}

static void
io_exit(void *ctx, int code)
{
	runner *r = ctx;

	if (r->exiting)
		return;
	r->exiting = true;
	r->exit_code = code;
	term_stop();
	uv_timer_stop(&r->tick);
	uv_close((uv_handle_t *)&r->tick, NULL);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	/* Let the LEAVE frames go out before the process ends. */
	net_shutdown(r->net, 500, on_closed_all, r);
}

/* --- the network's and the user's callbacks ---------------------------- */

static void
net_up(void *ctx, uint32_t link, bool outgoing, const char *host)
{
	runner *r = ctx;

	node_link_up(r->core, now_of(r), link, outgoing, host);
}

static void
net_down(void *ctx, uint32_t link, const char *why)
{
	runner *r = ctx;

	node_link_down(r->core, now_of(r), link, why);
}

static void
net_frame(void *ctx, uint32_t link, const uint8_t *body, size_t len)
{
	runner *r = ctx;

	node_frame(r->core, now_of(r), link, body, len);
}

static void
net_log(void *ctx, const char *line)
{
	io_log(ctx, NODE_LOG_ALWAYS, line);
}

static void
term_line(void *ctx, const char *line, size_t len)
{
	runner *r = ctx;

	uv_update_time(r->loop);
	node_input(r->core, now_of(r), line, len);
}

static void
term_eof(void *ctx)
{
	runner *r = ctx;

	node_leave(r->core, now_of(r));
}

static void
on_tick(uv_timer_t *t)
{
	runner *r = t->data;

	node_tick(r->core, now_of(r));
}

static void
on_signal(uv_signal_t *s, int sig)
{
	runner *r = s->data;

	(void)sig;
	node_leave(r->core, now_of(r));
}

/* --- setup ------------------------------------------------------------- */

static uint64_t
wall_ms(void)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static bool
any_host(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

static int
start(runner *r, const ident *id, uint16_t port)
{
	const node_opts *o = r->opts;
	node_config cfg = {
		.id = id->id, .inc = wall_ms(), .nick = o->nick,
		.host = any_host(o->listen_host) ? "" : o->listen_host, .port = port,
		.seeds = o->join, .nseeds = o->njoin,
		.heartbeat_ms = o->heartbeat_ms, .timeout_ms = o->timeout_ms,
	};
	node_io io = {r, io_connect, io_send, io_close, io_event, io_log, io_exit};
	term_callbacks tc = {r, term_line, term_eof};

	r->core = node_new(&cfg, &io, now_of(r));
	uv_timer_init(r->loop, &r->tick);
	r->tick.data = r;
	uv_timer_start(&r->tick, on_tick, node_tick_ms(r->core), node_tick_ms(r->core));
	uv_signal_init(r->loop, &r->sigint);
	uv_signal_init(r->loop, &r->sigterm);
	r->sigint.data = r->sigterm.data = r;
	uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	if (term_start(r->loop, &tc, o->headless) != 0) {
		fprintf(stderr, "chorus: cannot read standard input\n");
		return 1;
	}
	return 0;
}

int
run_node(const node_opts *o)
{
	runner r = {.opts = o};
	net_callbacks nc = {&r, net_up, net_down, net_frame, net_log};
	ident id;
	uint16_t port;
	int rc;

	if ((rc = ident_open(&id, o->data_dir, o->nick)) != 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	r.loop = uv_default_loop();
	r.net = net_new(r.loop, &nc);
	rc = net_listen(r.net, o->listen_host, o->listen_port, &port);
	if (rc != 0) {
		fprintf(stderr, "chorus: cannot listen on %s:%u: %s\n", o->listen_host,
			o->listen_port, uv_strerror(rc));
		return 1;
	}
	fprintf(stderr, "chorus: %s listening on %s:%u\n", o->nick, o->listen_host, port);
	if ((rc = start(&r, &id, port)) != 0)
		return rc;
	uv_run(r.loop, UV_RUN_DEFAULT);
	node_free(r.core);
	fflush(stdout);
	return r.exit_code;
}
