/* net — see net.h. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "xalloc.h"

#define READ_CHUNK (64 * 1024)

typedef struct conn {
	uv_tcp_t tcp;           /* first: the handle's data points back here */
	net *net;
	uint32_t id;
	bool outgoing;
	bool up;
	bool closing;           /* net_close or an error: no more callbacks */
	bool resolving;         /* a name lookup is in flight */
	char host[64];
	uint16_t port;
	uint8_t *in;            /* bytes received, not yet a whole frame */
	size_t inlen;
	size_t incap;
	uint8_t *out;           /* frames sent since the last net_flush */
	size_t outlen;
	size_t outcap;
	struct conn *next;
} conn;

struct net {
	uv_loop_t *loop;
	net_callbacks cb;
	uv_tcp_t listener;
	bool listening;
	conn *conns;
	uint32_t next_id;
	uv_timer_t grace;
	void (*done)(void *);
	void *done_ctx;
	int open_handles;       /* during shutdown: handles not yet closed */
};

typedef struct write_req {
	uv_write_t req;
	uv_buf_t buf;
} write_req;

static void
logf_(net *t, const char *fmt, const char *a, const char *b)
{
	char line[256];

	snprintf(line, sizeof line, fmt, a, b);
	t->cb.log(t->cb.ctx, line);
}

net *
net_new(uv_loop_t *loop, const net_callbacks *cb)
{
	net *t = xcalloc(1, sizeof *t);

	t->loop = loop;
	t->cb = *cb;
	t->next_id = 1;
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
static void conn_flush(conn *c);

static void
conn_close(conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	conn_flush(c);
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
static void
conn_fail(conn *c, const char *why)
{
	bool report = !c->closing;

	conn_close(c);
	if (report)
		c->net->cb.down(c->net->cb.ctx, c->id, why);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	conn *c = h->data;

	(void)hint;
	if (c->incap - c->inlen < READ_CHUNK) {
		c->incap = c->inlen + READ_CHUNK;
		c->in = xrealloc(c->in, c->incap);
	}
	*buf = uv_buf_init((char *)c->in + c->inlen, (unsigned)(c->incap - c->inlen));
}

/* Hand up every whole frame in the buffer; keep the rest. */
static void
drain_frames(conn *c)
{
	size_t off = 0, flen;
	int rc;

	while (!c->closing && (rc = wire_frame_split(c->in + off, c->inlen - off, &flen)) == 1) {
		c->net->cb.frame(c->net->cb.ctx, c->id, c->in + off + WIRE_HEADER,
				 flen - WIRE_HEADER);
		off += flen;
	}
	if (!c->closing && rc < 0) {
		logf_(c->net, "dropping link from %s: %s", c->host, wire_strerror(rc));
		conn_fail(c, wire_strerror(rc));
		return;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	conn *c = s->data;

	(void)buf;
	if (nread < 0) {
		conn_fail(c, nread == UV_EOF ? "closed by peer" : uv_strerror((int)nread));
		return;
	}
	c->inlen += (size_t)nread;
	drain_frames(c);
	/* Keep the buffer small when idle. */
	if (c->inlen == 0 && c->incap > 4 * READ_CHUNK) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

static void
conn_start(conn *c)
{
	c->up = true;
	c->net->cb.up(c->net->cb.ctx, c->id, c->outgoing, c->host);
	if (!c->closing)
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void
on_connection(uv_stream_t *server, int status)
{
	net *t = server->data;
	struct sockaddr_storage sa;
	int salen = sizeof sa;

	if (status < 0)
		return;
	conn *c = conn_new(t, false);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0) {
		if (sa.ss_family == AF_INET6)
			uv_ip6_name((struct sockaddr_in6 *)&sa, c->host, sizeof c->host);
		else
			uv_ip4_name((struct sockaddr_in *)&sa, c->host, sizeof c->host);
	}
	conn_start(c);
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
		conn_fail(c, uv_strerror(status));
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
			conn_fail(c, status < 0 ? uv_strerror(status) : "no address");
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
			conn_fail(c, uv_strerror(rc));
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

static void
on_written(uv_write_t *req, int status)
{
	write_req *w = (write_req *)req;

	(void)status; /* a failed write shows up as a read error */
	free(w->buf.base);
	free(w);
}

void
net_send(net *t, uint32_t link, const uint8_t *data, size_t len)
{
	conn *c = conn_find(t, link);

	if (c == NULL || !c->up)
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

/* Hand the frames gathered since the last flush to the kernel, in one write. */
static void
conn_flush(conn *c)
{
	if (c->outlen == 0 || c->closing || !c->up)
		return;
	write_req *w = xmalloc(sizeof *w);
	w->buf = uv_buf_init((char *)c->out, (unsigned)c->outlen);
	c->out = NULL;
	c->outlen = c->outcap = 0;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) != 0) {
		free(w->buf.base);
		free(w);
	}
}

void
net_flush(net *t)
{
	for (conn *c = t->conns; c; c = c->next)
		conn_flush(c);
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
