/* net — see net.h. */
#include "net_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

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

static conn *
conn_new(net *t, bool outgoing)
{
	conn *c = xcalloc(1, sizeof *c);

	c->net = t;
	c->id = t->next_id++;
	c->outgoing = outgoing;
	uv_tcp_init(t->loop, &c->tcp);
	uv_tcp_nodelay(&c->tcp, 1);
	c->tcp.data = c;
	c->next = t->conns;
	t->conns = c;
	t->nconns++;
	return c;
}

static conn *
conn_find(net *t, uint32_t id)
{
	for (conn *c = t->conns; c; c = c->next)
		if (c->id == id && !c->closing)
			return c;
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
shutdown_step(net *t)
{
	if (t->done && --t->open_handles == 0)
		uv_close((uv_handle_t *)&t->grace, on_grace_closed);
}

static void
on_closed(uv_handle_t *h)
{
	conn *c = h->data;
	net *t = c->net;

	for (conn **p = &t->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	t->nconns--;
	seal_wipe(&c->sl);
	free(c->in);
	free(c->out);
	free(c);
	shutdown_step(t);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	uv_handle_t *h = (uv_handle_t *)req->handle;

	(void)status;
	free(req);
	if (!uv_is_closing(h))
		uv_close(h, on_closed);
}

/* Close quietly: flush queued writes first when the link is up. */
static void
conn_close(conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	net_seal_flush(c);
	if (c->unfinished) {
		c->unfinished = false;
		c->net->nunfinished--;
	}
	c->closing = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (c->up) {
		uv_shutdown_t *req = xmalloc(sizeof *req);
		if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) == 0)
			return;
		free(req);
	}
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* Close after a failure and tell the core. */
void
net_conn_fail(conn *c, const char *why)
{
	/* The node knows its own connects, and accepted links once open. */
	bool report = !c->closing && (c->open || c->outgoing);

	conn_close(c);
	if (report)
		c->net->cb.down(c->net->cb.ctx, c->id, why);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	conn *c = h->data;
	/* A handshake's units are small: a stranger gets no 64 KiB buffer. */
	size_t chunk = c->open ? READ_CHUNK : 4 * (UNIT_HEADER + NET_HANDSHAKE_UNIT);

	(void)hint;
	if (c->incap - c->inlen < chunk) {
		c->incap = c->inlen + chunk;
		c->in = xrealloc(c->in, c->incap);
	}
	*buf = uv_buf_init((char *)c->in + c->inlen, (unsigned)(c->incap - c->inlen));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	conn *c = s->data;

	(void)buf;
	if (nread < 0) {
		net_conn_fail(c, nread == UV_EOF ? "closed by peer" : uv_strerror((int)nread));
		return;
	}
	if (nread > 0)
		idle_heard(&c->life, uv_now(c->net->loop));
	c->inlen += (size_t)nread;
	net_seal_read(c);
	/* Keep the buffer small when idle. */
	if (c->inlen == 0 && c->incap > 4 * READ_CHUNK) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

/* Connected: the handshake starts, and reading. */
static void
conn_start(conn *c)
{
	c->up = true;
	idle_start(&c->life, uv_now(c->net->loop));
	net_seal_start(c);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* Bytes that arrived on a socket and are not read yet. */
static bool
net_unread(const uv_tcp_t *tcp)
{
	uv_os_fd_t fd;
	int n = 0;

	return uv_fileno((const uv_handle_t *)tcp, &fd) == 0 && ioctl(fd, FIONREAD, &n) == 0 &&
	       n > 0;
}

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
	const idle *v[NET_MAX_UNFINISHED];
	int n = 0, i;

	for (conn *o = t->conns; o && n < NET_MAX_UNFINISHED; o = o->next) /* newest first */
		if (o->unfinished) {
			cs[n] = o;
			v[n++] = &o->life;
		}
	/* Silent as far as we have read: its bytes may be waiting in the kernel still. */
	while ((i = idle_pick(v, n, NET_MAX_UNFINISHED / 2)) >= 0 && !cs[i]->life.spoke &&
	       net_unread(&cs[i]->tcp))
		idle_heard(&cs[i]->life, uv_now(t->loop));
	if (i < 0)
		return;
	t->evicted++;
	snprintf(t->evicted_host, sizeof t->evicted_host, "%s", cs[i]->host);
	conn_close(cs[i]); /* accepted, not open: the core never knew it */
}

static void
accept_one(net *t)
{
	struct sockaddr_storage sa;
	int salen = sizeof sa;

	t->accepted++;
	conn *c = conn_new(t, false);
	if (uv_accept((uv_stream_t *)&t->listener, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0) {
		if (sa.ss_family == AF_INET6)
			uv_ip6_name((struct sockaddr_in6 *)&sa, c->host, sizeof c->host);
		else
			uv_ip4_name((struct sockaddr_in *)&sa, c->host, sizeof c->host);
	}
	if (t->nunfinished >= NET_MAX_UNFINISHED)
		evict_one(t);
	c->unfinished = true;
	t->nunfinished++;
	conn_start(c);
}

/*
 * libuv accepts as long as connections come; a flood would keep it at it,
 * starving the links, and pushing out a joiner before its HELLO is read.
 * So at most NET_ACCEPTS_PER_PASS a pass: the next one waits (libuv stops
 * watching the listener until it is taken) for net_flush, at the end of
 * the pass, after the reads.
 */
static void
on_connection(uv_stream_t *server, int status)
{
	net *t = server->data;

	if (status < 0)
		return;
	if (t->accepted >= NET_ACCEPTS_PER_PASS) {
		t->accept_waiting = true;
		return;
	}
	accept_one(t);
}

/* Links that count against NET_MAX_LINKS: open ones, and our own dials. */
static int
links_held(const net *t)
{
	int n = 0;

	for (const conn *c = t->conns; c; c = c->next)
		n += !c->closing && (c->open || c->outgoing);
	return n;
}

bool
net_conn_finished(conn *c)
{
	net *t = c->net;

	if (!c->unfinished)
		return true;
	c->unfinished = false;
	t->nunfinished--;
	if (links_held(t) >= NET_MAX_LINKS) {
		net_logf(t, "refusing a link from %s: %s", c->host, "too many links already");
		conn_close(c);
		return false;
	}
	return true;
}

int
net_listen(net *t, const char *host, uint16_t port, uint16_t *bound)
{
	struct sockaddr_storage sa;
	int salen = sizeof sa;
	int rc;

	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) != 0)
		return UV_EINVAL;
	uv_tcp_init(t->loop, &t->listener);
	t->listener.data = t;
	t->listening = true;
	if ((rc = uv_tcp_bind(&t->listener, (struct sockaddr *)&sa, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&t->listener, 128, on_connection)) != 0)
		return rc;
	uv_tcp_getsockname(&t->listener, (struct sockaddr *)&sa, &salen);
	*bound = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	return 0;
}

static void
on_connect(uv_connect_t *req, int status)
{
	conn *c = req->handle->data;

	free(req);
	if (c->closing)
		return;
	if (status < 0) {
		net_conn_fail(c, uv_strerror(status));
		return;
	}
	conn_start(c);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	conn *c = req->data;

	free(req);
	c->resolving = false;
	if (status < 0 || res == NULL) {
		if (res)
			uv_freeaddrinfo(res);
		if (!c->closing)
			net_conn_fail(c, status < 0 ? uv_strerror(status) : "no address");
		else
			conn_close(c);
		return;
	}
	uv_connect_t *creq = xmalloc(sizeof *creq);
	int rc = c->closing ? UV_ECANCELED : uv_tcp_connect(creq, &c->tcp, res->ai_addr, on_connect);
	uv_freeaddrinfo(res);
	if (rc != 0) {
		free(creq);
		if (!c->closing)
			net_conn_fail(c, uv_strerror(rc));
	}
}

uint32_t
net_connect(net *t, const char *host, uint16_t port)
{
	conn *c = conn_new(t, true);
	uv_getaddrinfo_t *req = xmalloc(sizeof *req);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	char service[8];

	snprintf(c->host, sizeof c->host, "%s", host);
	c->port = port;
	snprintf(service, sizeof service, "%u", port);
	req->data = c;
	c->resolving = true;
	if (uv_getaddrinfo(t->loop, req, on_resolved, host, service, &hints) != 0) {
		free(req);
		c->resolving = false;
		c->closing = true;
		uv_close((uv_handle_t *)&c->tcp, on_closed);
	}
	return c->id;
}

void
net_send(net *t, uint32_t link, const uint8_t *data, size_t len)
{
	conn *c = conn_find(t, link);

	if (c == NULL || !c->open)
		return;
	if (c->outcap - c->outlen < len) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap - c->outlen < len)
			cap *= 2;
		c->out = xrealloc(c->out, cap);
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
}

void
net_flush(net *t)
{
	t->accepted = 0;
	if (t->accept_waiting && t->done == NULL) {
		t->accept_waiting = false;
		accept_one(t);
	}
	for (conn *c = t->conns; c; c = c->next)
		net_seal_flush(c);
}

void
net_sweep(net *t)
{
	uint64_t now = uv_now(t->loop);
	char line[256];
	int late = 0;
	const char *host = "";

	for (conn *c = t->conns; c; c = c->next) {
		if (!c->up || c->open || c->closing ||
		    idle_check(&c->life, &t->lim, now) != IDLE_LATE)
			continue;
		if (c->outgoing) {
			snprintf(line, sizeof line, "dropping link to %s: no handshake within %u ms",
				 c->host, t->lim.setup_ms);
			t->cb.log(t->cb.ctx, line);
		} else {
			late++;
			host = c->host;
		}
		net_conn_fail(c, "no handshake");
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
	conn *c = conn_find(t, link);

	return c ? c->outlen + c->tcp.write_queue_size : 0;
}

void
net_close(net *t, uint32_t link)
{
	conn *c = conn_find(t, link);

	if (c)
		conn_close(c);
}

static void
on_grace(uv_timer_t *timer)
{
	net *t = timer->data;

	/* Writes that did not flush in time are dropped. */
	for (conn *c = t->conns; c; c = c->next)
		if (!c->resolving && !uv_is_closing((uv_handle_t *)&c->tcp))
			uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void
on_listener_closed(uv_handle_t *h)
{
	shutdown_step(h->data);
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
	if (t->listening) {
		t->open_handles++;
		uv_close((uv_handle_t *)&t->listener, on_listener_closed);
	}
	for (conn *c = t->conns; c; c = c->next) {
		t->open_handles++;
		if (!c->closing)
			conn_close(c);
	}
	shutdown_step(t);
}
