/*
 * run — a node's life in the shell: open the data directory's store if it
 * has one, find the secret, listen, and only then make what a first run
 * needs (so that a failed start leaves nothing behind); start the loop, and
 * wire the pure core to the network (net), the store, the clock (uv_now,
 * sampled once per loop pass), the signals, and the front ends the caller
 * named (front.h: the terminal, the IRC gateway, a chatterbox), and the
 * broker if there is one (run_broker.c).
 *
 * Group commit: during a loop pass the core's records go into one store
 * transaction, and its frames and printed lines are gathered.  Just before
 * the loop would block (a prepare handle), the core flushes its batch, the
 * transaction is committed, and only then are the frames written and the
 * front ends flushed: nothing leaves the process before it is on disk.
 */
#include "run_int.h"

#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "exit_code.h"
#include "front.h"
#include "ident.h"
#include "net.h"
#include "node.h"
#include "secret.h"
#include "store.h"


uint64_t
run_now(runner *r)
{
	return uv_now(r->loop);
}

uint64_t
run_wall_ms(void)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
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
stop_fronts(runner *r)
{
	RUN_EACH_FRONT(r, f)
		if (f->ops->stop)
			f->ops->stop(f->self);
}

void
run_fatal(runner *r, int code, const char *fmt, ...)
{
	va_list ap;

	stop_fronts(r);
	if (fmt) {
		fputs("chorus: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fflush(stdout);
	exit(code);
}

void
run_store_failed(runner *r)
{
	run_fatal(r, CHORUS_EXIT_IO, "%s", store_error(r->store));
}

/* Make the batch durable, then let out what followed it. */
static void
end_batch(runner *r)
{
	if (store_commit(r->store) != 0)
		run_store_failed(r);
	net_flush(r->net);
	RUN_EACH_FRONT(r, f)
		if (f->ops->flush)
			f->ops->flush(f->self);
}

static void
io_close(void *ctx, uint32_t link)
{
	runner *r = ctx;

	/* The link's gathered frames go out with the close. */
	if (store_commit(r->store) != 0)
		run_store_failed(r);
	net_close(r->net, link);
}

void
run_event(void *ctx, const event *ev)
{
	runner *r = ctx;

	RUN_EACH_FRONT(r, f)
		if (f->ops->event)
			f->ops->event(f->self, ev);
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
	RUN_EACH_FRONT(r, f)
		if (f->ops->leave)
			f->ops->leave(f->self);
	end_batch(r);
	stop_fronts(r);
	uv_close((uv_handle_t *)&r->prepare, NULL);
	uv_timer_stop(&r->tick);
	uv_close((uv_handle_t *)&r->tick, NULL);
	uv_timer_stop(&r->wake);
	uv_close((uv_handle_t *)&r->wake, NULL);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	/* Let the LEAVE frames go out before the process ends. */
	net_shutdown(r->net, 500, on_closed_all, r);
}

static void
io_guest(void *ctx, int what, const char *nick, const char *arg)
{
	runner *r = ctx;

	RUN_EACH_FRONT(r, f)
		if (f->ops->guest)
			f->ops->guest(f->self, what, nick, arg);
}

static size_t
io_pending(void *ctx, uint32_t link)
{
	runner *r = ctx;

	return net_pending(r->net, link);
}

/* --- the network's and the user's callbacks ---------------------------- */

/* The store failed before the loop ran: why, in r->fail. */
static int
store_failure(runner *r)
{
	return failure_set(&r->fail, CHORUS_EXIT_IO, "%s", store_error(r->store));
}

/*
 * The secret is the chat's (a member proved it, or we made the chat): keep
 * it.  0, or the exit code with why in r->fail.
 */
static int
keep_secret(runner *r)
{
	int rc;

	r->keep_secret = false;
	if ((rc = secret_keep(&r->secret, r->id.dir, &r->fail)) != 0)
		return rc;
	return store_set_secret_kept(r->store) != 0 ? store_failure(r) : 0;
}

static void
net_up(void *ctx, uint32_t link, bool outgoing, const char *host, const uint8_t *binding)
{
	runner *r = ctx;

	/* A completed handshake: the peer holds our secret. */
	if (r->keep_secret && keep_secret(r) != 0)
		run_fatal(r, r->fail.code, "%s", r->fail.why);
	node_link_up(r->core, run_now(r), link, outgoing, host, binding);
}

static void
net_down(void *ctx, uint32_t link, const char *why)
{
	runner *r = ctx;

	node_link_down(r->core, run_now(r), link, why);
}

static void
net_frame(void *ctx, uint32_t link, const uint8_t *body, size_t len)
{
	runner *r = ctx;

	node_frame(r->core, run_now(r), link, body, len);
}

static void
net_log(void *ctx, const char *line)
{
	io_log(ctx, NODE_LOG_ALWAYS, line);
}

static void
on_tick(uv_timer_t *t)
{
	runner *r = t->data;

	node_tick(r->core, run_now(r));
	net_sweep(r->net);
	RUN_EACH_FRONT(r, f)
		if (f->ops->sweep)
			f->ops->sweep(f->self);
}

/*
 * A member refused us: it does not know our secret.  A node that is not
 * in the chat yet cannot get in (SPEC: exit 5); a member only logs it.
 */
static void
net_refused(void *ctx, uint32_t link, bool outgoing)
{
	runner *r = ctx;

	(void)link;
	if (!outgoing || node_announced(r->core))
		return;
	store_close(r->store);
	run_fatal(r, CHORUS_EXIT_AUTH, "authentication failed: the chat has another secret");
}

/* Nothing to do: the pass of the loop it makes ends with on_prepare's flush. */
static void
on_wake(uv_timer_t *t)
{
	(void)t;
}

/* The loop is about to wait: end the pass's batch; pace the input. */
static void
on_prepare(uv_prepare_t *p)
{
	runner *r = p->data;

	if (r->exiting)
		return;
	node_flush(r->core, run_now(r));
	if (r->exiting)
		return;
	uint64_t wake = node_wake_at(r->core), now = run_now(r);
	if (wake)
		uv_timer_start(&r->wake, on_wake, wake > now ? wake - now : 0, 0);
	end_batch(r);
	RUN_EACH_FRONT(r, f)
		if (f->ops->turn && f->ops->turn(f->self, run_now(r)))
			node_leave(r->core, run_now(r));
	if (r->broker && !r->roll_answered && node_announced(r->core)) {
		r->roll_answered = true;
		broker_joined(r->broker);
	}
	bool busy = node_busy(r->core);
	if (busy != r->held)
		RUN_EACH_FRONT(r, f)
			if (f->ops->hold)
				f->ops->hold(f->self, busy);
	r->held = busy;
}

static void
on_signal(uv_signal_t *s, int sig)
{
	runner *r = s->data;

	(void)sig;
	node_leave(r->core, run_now(r));
}

/* --- setup ------------------------------------------------------------- */

static bool
any_host(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/*
 * Room in the open-file limit for every connection the budgets allow (the
 * usual soft limit, 1,024, is below them): otherwise a flood runs the
 * process out of descriptors, and then it refuses everyone.
 */
static void
open_files(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		fprintf(stderr, "chorus: only %llu open files allowed (ulimit -n); the connection "
			"budgets need %llu\n", (unsigned long long)rl.rlim_cur,
			(unsigned long long)want);
}

/*
 * The front ends asked for, made on the new core before it starts (its
 * first events are theirs); room in the open-file limit for them all.
 */
static int
make_fronts(runner *r)
{
	front_env env = {r->loop, r->core, r->opts, r->pass_check};
	unsigned files = NET_FILES + 64;

	for (int i = 0; i < r->nplugs && r->nfronts < RUN_MAX_FRONTS; i++) {
		int rc = r->plugs[i].make(r->plugs[i].arg, &env, &r->fronts[r->nfronts]);
		if (rc < 0)
			return CHORUS_EXIT_IO;
		if (rc > 0)
			files += r->fronts[r->nfronts++].files;
	}
	open_files(files);
	return 0;
}

static int
start(runner *r, const ident *id, uint16_t port)
{
	const node_opts *o = r->opts;
	uint64_t now_wall = run_wall_ms();
	int rc;
	node_config cfg = {
		.id = id->who.id, .sign_pk = id->who.pk, .sign_sk = id->who.sk,
		.inc = now_wall, .nick = o->nick,
		.host = any_host(o->listen_host) ? "" : o->listen_host, .port = port,
		.seeds = o->join, .nseeds = o->njoin,
		.heartbeat_ms = o->heartbeat_ms, .timeout_ms = o->timeout_ms,
		.wall_ms = now_wall, .started_ms = r->started_ms,
		.seeds_are_peers = o->seeds_are_peers,
	};
	node_io io = {
		.ctx = r, .connect = io_connect, .send = io_send, .close = io_close,
		.event = run_event, .log = io_log, .exit = io_exit, .pending = io_pending,
		.guest = io_guest,
	};

	run_store_io(&io);
	if (store_get_mark(r->store, &cfg.mark_hlc, &cfg.mark_sender) != 0 ||
	    store_get_inc(r->store, &cfg.last_inc) != 0)
		run_store_failed(r);
	cfg.peers = r->peers;
	cfg.npeers = r->npeers;
	if (r->broker) { /* reached through the broker alone */
		cfg.host = broker_host(r->broker);
		cfg.port = BROKER_PORT;
	}
	r->core = node_create(&cfg, &io);
	if (r->broker)
		node_hold_join(r->core, run_now(r), true); /* until broker_up */
	if ((rc = make_fronts(r)) != 0)
		return rc;
	node_start(r->core, run_now(r));
	if (r->broker)
		broker_roll_call(r->broker);
	uv_prepare_init(r->loop, &r->prepare);
	r->prepare.data = r;
	uv_prepare_start(&r->prepare, on_prepare);
	uv_timer_init(r->loop, &r->tick);
	r->tick.data = r;
	uv_timer_start(&r->tick, on_tick, node_tick_ms(r->core), node_tick_ms(r->core));
	uv_timer_init(r->loop, &r->wake);
	r->wake.data = r;
	uv_signal_init(r->loop, &r->sigint);
	uv_signal_init(r->loop, &r->sigterm);
	r->sigint.data = r->sigterm.data = r;
	uv_signal_start(&r->sigint, on_signal, SIGINT);
	uv_signal_start(&r->sigterm, on_signal, SIGTERM);
	return 0;
}

/*
 * The secret, found before anything is written.  A store opened says
 * whether the directory was given one to keep (so that its loss is not
 * taken for a new chat).
 */
static int
find_secret(runner *r, uint8_t psk[SEAL_KEY])
{
	const node_opts *o = r->opts;
	int kept = r->store ? store_secret_kept(r->store) : 0;
	int rc;

	if (kept < 0)
		return store_failure(r);
	rc = secret_find(&r->secret, r->id.dir, o->secret_file,
			 o->njoin == 0 && r->npeers == 0 && o->nbroker == 0,
			 kept == 1, &r->fail);
	if (rc == 0 && (rc = secret_derive(&r->secret, psk, r->pass_check, &r->fail)) != 0)
		secret_wipe(&r->secret);
	r->keep_secret = rc == 0;
	return rc;
}

/*
 * Past the listen: a first run makes its directory and store now, and the
 * maker of a chat keeps its secret at once (others wait for a handshake).
 */
static int
settle_data(runner *r)
{
	const node_opts *o = r->opts;
	int rc;

	if (r->store == NULL) {
		if ((rc = ident_create(&r->id, o->nick, &r->fail)) != 0)
			return rc;
		r->store = r->id.store;
	}
	if (o->njoin != 0 || r->npeers != 0 || o->nbroker != 0)
		return 0;
	if ((rc = keep_secret(r)) != 0)
		return rc;
	return store_commit(r->store) != 0 ? store_failure(r) : 0;
}

/* A start that failed before the loop ran: say why, close what was opened. */
static int
give_up(runner *r, int code)
{
	failure_print(&r->fail, stderr);
	secret_wipe(&r->secret);
	store_close(r->store);
	r->store = NULL;
	return code;
}

int
run_node(const node_opts *o, const front_plug *plugs, int nplugs)
{
	static runner r;
	net_callbacks nc = {&r, net_up, net_down, net_frame, net_log, net_refused};
	uint8_t psk[SEAL_KEY];
	uint16_t port;
	int rc;

	r.opts = o;
	r.plugs = plugs;
	r.nplugs = nplugs;
	r.started_ms = run_wall_ms(); /* before the store and the key: "since we started" */
	/* Nothing is created before the listen: a failed start leaves no trace. */
	if ((rc = ident_open(&r.id, o->data_dir, o->nick, &r.fail)) != 0)
		return give_up(&r, rc);
	r.store = r.id.store;
	/* Without --join, the members met in an earlier run are the way in. */
	if (r.store && o->njoin == 0 && o->nbroker == 0 && (r.npeers = store_peers(r.store, r.peers, RUN_MAX_PEERS)) < 0)
		run_store_failed(&r);
	if ((rc = find_secret(&r, psk)) != 0)
		return give_up(&r, rc);
	signal(SIGPIPE, SIG_IGN);
	r.loop = uv_default_loop();
	r.net = net_new(r.loop, &nc, psk, o->handshake_ms);
	run_start_broker(&r, psk);
	sodium_memzero(psk, sizeof psk);
	rc = net_listen(r.net, o->listen_host, o->listen_port, &port);
	if (rc != 0) {
		failure_set(&r.fail, CHORUS_EXIT_IO, "cannot listen on %s:%u: %s", o->listen_host,
			    o->listen_port, uv_strerror(rc));
		return give_up(&r, CHORUS_EXIT_IO);
	}
	if ((rc = settle_data(&r)) != 0)
		return give_up(&r, rc);
	fprintf(stderr, "chorus: %s listening on %s:%u\n", o->nick, o->listen_host, port);
	if ((rc = start(&r, &r.id, port)) != 0)
		return rc;
	uv_run(r.loop, UV_RUN_DEFAULT);
	RUN_EACH_FRONT(&r, f)
		if (f->ops->free)
			f->ops->free(f->self);
	node_free(r.core);
	broker_free(r.broker);
	store_close(r.store);
	secret_wipe(&r.secret);
	fflush(stdout);
	return r.exit_code;
}
