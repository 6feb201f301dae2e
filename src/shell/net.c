/* net — see net.h. */
#include "net_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
net_logf(net *t, const char *fmt, const char *a, const char *b)
{
	char line[256];

	snprintf(line, sizeof line, fmt, a, b);
	t->cb.log(t->cb.ctx, line);
}

net *
net_new(uv_loop_t *loop, const net_callbacks *cb, const uint8_t psk[SEAL_KEY],
	unsigned handshake_ms)
{
	net *t = xcalloc(1, sizeof *t);

	t->loop = loop;
	t->cb = *cb;
	t->next_id = 1;
	t->lim = (idle_limits){.setup_ms = handshake_ms ? handshake_ms : NET_HANDSHAKE_MS};
	memcpy(t->psk, psk, SEAL_KEY);
	t->plain = xmalloc(SEAL_MAX_PLAIN);
	return t;
}

static const conn_handlers peer_handlers;

static net_peer *
peer_new(net *t, conn *c, bool outgoing, const char *host)
{
	net_peer *p = xcalloc(1, sizeof *p);

	p->c = c;
	p->net = t;
	p->id = t->next_id++;
	p->outgoing = outgoing;
	snprintf(p->host, sizeof p->host, "%s", host);
	conn_set_data(c, p);
	conn_frame(c, &net_seal_framer, p);
	conn_cap(c, NET_MAX_QUEUED);
	p->next = t->peers;
	t->peers = p;
	t->npeers++;
	return p;
}

static net_peer *
peer_find(net *t, uint32_t id)
{
	for (net_peer *p = t->peers; p; p = p->next)
		if (p->id == id && !p->closing)
			return p;
	return NULL;
}

static void
on_grace_closed(uv_handle_t *h)
{
	net *t = h->data;

	t->done(t->done_ctx);
	sodium_memzero(t->psk, sizeof t->psk);
	free(t->plain);
	free(t);
}

/* One fewer handle open during shutdown; the last one ends it. */
static void
shutdown_step(void *ctx)
{
	net *t = ctx;

	if (t->done && --t->open_handles == 0)
		uv_close((uv_handle_t *)&t->grace, on_grace_closed);
}

/* The connection is closed: the link goes. */
static void
on_gone(conn *c)
{
	net_peer *p = conn_data(c);
	net *t = p->net;

	for (net_peer **q = &t->peers; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			break;
		}
	for (net_peer **q = &t->dirty; p->dirty && *q; q = &(*q)->next_dirty)
		if (*q == p) {
			*q = p->next_dirty;
			break;
		}
	t->npeers--;
	net_peer_shaken(p);
	seal_wipe(&p->sl);
	free(p);
	shutdown_step(t);
}

void
net_peer_shaken(net_peer *p)
{
	if (p->shaking) {
		p->shaking = false;
		p->net->nshaking--;
	}
}

/* Close quietly: what is gathered and queued is written first. */
static void
peer_close(net_peer *p)
{
	if (p->closing)
		return;
	if (p->unfinished) {
		p->unfinished = false;
		p->net->nunfinished--;
	}
	net_peer_shaken(p);
	p->closing = true;
	conn_close(p->c, CONN_FLUSH);
}

/* Close after a failure and tell the core. */
void
net_peer_fail(net_peer *p, const char *why)
{
	/* The node knows its own connects, and accepted links once open. */
	bool report = !p->closing && (p->open || p->outgoing);

	peer_close(p);
	if (report)
		p->net->cb.down(p->net->cb.ctx, p->id, why);
}

static void
on_fail(conn *c, int err)
{
	net_peer *p = conn_data(c);

	if (err == CONN_EQUEUE) {
		net_logf(p->net, "dropping link to %s: %s", p->host, "it does not read what is sent");
		net_peer_fail(p, "peer does not read");
		return;
	}
	net_peer_fail(p, err == UV_EOF ? "closed by peer" : conn_strerror(err));
}

static void
on_heard(conn *c)
{
	net_peer *p = conn_data(c);

	idle_heard(&p->life, uv_now(p->net->loop));
}

/* Connected: the handshake starts, and reading. */
static void
peer_start(net_peer *p)
{
	p->up = true;
	p->shaking = true;
	p->net->nshaking++;
	idle_start(&p->life, uv_now(p->net->loop));
	net_seal_start(p);
	conn_reading(p->c, true);
}

static void
on_up(conn *c)
{
	peer_start(conn_data(c));
}

static const conn_handlers peer_handlers = {
	.up = on_up, .heard = on_heard, .fail = on_fail, .gone = on_gone,
};

/*
 * The budget of unfinished handshakes is full: one makes room (idle_pick:
 * one that sent nothing while NET_MAX_UNFINISHED / 2 newer ones came,
 * the oldest such, else the oldest of all).  A stranger cannot keep a
 * member out by holding connections open, even from the member's own
 * address: a joiner's HELLO comes with its connection, and then only a
 * flood that speaks too can push it out, by opening NET_MAX_UNFINISHED
 * newer ones before its CONFIRM.
 */
static void
evict_one(net *t)
{
	conn *cs[NET_MAX_UNFINISHED];
	idle *v[NET_MAX_UNFINISHED];
	net_peer *ps[NET_MAX_UNFINISHED];
	int n = 0, i;

	for (net_peer *o = t->peers; o && n < NET_MAX_UNFINISHED; o = o->next) /* newest first */
		if (o->unfinished) {
			ps[n] = o;
			cs[n] = o->c;
			v[n++] = &o->life;
		}
	if ((i = conn_pick_stranger(cs, v, n, NET_MAX_UNFINISHED / 2, uv_now(t->loop))) < 0)
		return;
	t->evicted++;
	snprintf(t->evicted_host, sizeof t->evicted_host, "%s", ps[i]->host);
	peer_close(ps[i]); /* accepted, not open: the core never knew it */
}

/* A connection accepted (or a stream a broker carries): a stranger until its handshake. */
static void
adopt(net *t, conn *c)
{
	if (c == NULL)
		return;
	net_peer *p = peer_new(t, c, false, conn_host(c));
	if (t->nunfinished >= NET_MAX_UNFINISHED)
		evict_one(t);
	p->unfinished = true;
	t->nunfinished++;
	peer_start(p);
}

static void
on_accept(void *ctx, conn_listener *l)
{
	adopt(ctx, conn_accept(l, &peer_handlers, NULL));
}

void
net_broker_open(net *t, broker *b)
{
	adopt(t, broker_take(b, &peer_handlers, NULL));
}

void
net_use_broker(net *t, broker *b)
{
	t->broker = b;
}
/* Links that count against NET_MAX_LINKS: open ones, and our own dials. */
static int
links_held(const net *t)
{
	int n = 0;

	for (const net_peer *p = t->peers; p; p = p->next)
		n += !p->closing && (p->open || p->outgoing);
	return n;
}

bool
net_peer_finished(net_peer *p)
{
	net *t = p->net;

	if (!p->unfinished)
		return true;
	p->unfinished = false;
	t->nunfinished--;
	if (links_held(t) >= NET_MAX_LINKS) {
		net_logf(t, "refusing a link from %s: %s", p->host, "too many links already");
		peer_close(p);
		return false;
	}
	return true;
}

int
net_listen(net *t, const char *host, uint16_t port, uint16_t *bound)
{
	int rc = conn_listen(t->loop, host, port, on_accept, t, &t->listener);

	if (rc == 0)
		*bound = conn_listener_port(t->listener);
	return rc;
}

uint32_t
net_connect(net *t, const char *host, uint16_t port)
{
	conn *c = NULL;

	if (broker_is_host(host))
		c = t->broker ? broker_dial(t->broker, host, &peer_handlers, NULL) : NULL;
	else if (conn_connect(t->loop, host, port, &peer_handlers, NULL, &c) != 0)
		c = NULL;
	if (c == NULL)
		return t->next_id++; /* nothing follows: as if it had never been */
	return peer_new(t, c, true, host)->id;
}

void
net_send(net *t, uint32_t link, const uint8_t *data, size_t len)
{
	net_peer *p = peer_find(t, link);

	if (p && p->open) {
		conn_send(p->c, data, len);
		if (!p->dirty) {
			p->dirty = true;
			p->next_dirty = t->dirty;
			t->dirty = p;
		}
	}
}

/* Only the peers sent to since: a pass of the loop costs the same with 1 or 200 links. */
void
net_flush(net *t)
{
	if (t->listener && t->done == NULL)
		conn_listener_pass(t->listener);
	while (t->dirty) {
		net_peer *p = t->dirty;
		t->dirty = p->next_dirty;
		p->dirty = false;
		if (!p->closing)
			conn_flush(p->c);
	}
}

void
net_sweep(net *t)
{
	uint64_t now = uv_now(t->loop);
	char line[256];
	int late = 0;
	const char *host = "";

	for (net_peer *p = t->nshaking ? t->peers : NULL; p; p = p->next) {
		if (!p->up || p->open || p->closing ||
		    idle_check(&p->life, &t->lim, now) != IDLE_LATE)
			continue;
		if (p->outgoing) {
			snprintf(line, sizeof line, "dropping link to %s: no handshake within %u ms",
				 p->host, t->lim.setup_ms);
			t->cb.log(t->cb.ctx, line);
		} else {
			late++;
			host = p->host;
		}
		net_peer_fail(p, "no handshake");
	}
	/* A flood would log a line per stranger: one line a sweep, one a second. */
	if (late == 1)
		snprintf(line, sizeof line, "dropping link from %s: no handshake within %u ms", host,
			 t->lim.setup_ms);
	else if (late > 1)
		snprintf(line, sizeof line, "dropping %d links: no handshake within %u ms (one from %s)",
			 late, t->lim.setup_ms, host);
	if (late)
		t->cb.log(t->cb.ctx, line);
	if (t->evicted && now - t->evict_logged >= 1000) {
		snprintf(line, sizeof line, "too many unfinished handshakes: dropped %u to make room "
			 "for new ones (the silent first, then the oldest; the last from %s; at most %d "
			 "wait at once)", t->evicted, t->evicted_host, NET_MAX_UNFINISHED);
		t->cb.log(t->cb.ctx, line);
		t->evicted = 0;
		t->evict_logged = now;
	}
}

size_t
net_pending(net *t, uint32_t link)
{
	net_peer *p = peer_find(t, link);

	return p ? conn_pending(p->c) : 0;
}

void
net_close(net *t, uint32_t link)
{
	net_peer *p = peer_find(t, link);

	if (p)
		peer_close(p);
}

static void
on_grace(uv_timer_t *timer)
{
	net *t = timer->data;

	/* Writes that did not flush in time are dropped. */
	for (net_peer *p = t->peers; p; p = p->next)
		conn_close(p->c, CONN_NOW);
}

void
net_shutdown(net *t, unsigned grace_ms, void (*done)(void *ctx), void *ctx)
{
	t->done = done;
	t->done_ctx = ctx;
	t->open_handles = 1; /* held until every close below has started */
	uv_timer_init(t->loop, &t->grace);
	t->grace.data = t;
	uv_timer_start(&t->grace, on_grace, grace_ms, 0);
	if (t->listener) {
		t->open_handles++;
		conn_listener_close(t->listener, shutdown_step, t);
		t->listener = NULL;
	}
	for (net_peer *p = t->peers; p; p = p->next) {
		t->open_handles++;
		peer_close(p);
	}
	shutdown_step(t);
}
