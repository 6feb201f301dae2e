/* net — see net.h. */
#include "net.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "xalloc.h"

#define READ_CHUNK (64 * 1024)
#define UNIT_HEADER 4                      /* the length before a HELLO or a record */
#define NET_MAX_CONNS 256                  /* links at once; more are refused */
#define NET_MAX_QUEUED (8 * 1024 * 1024)   /* unwritten bytes before a peer is dropped */
#define NET_HANDSHAKE_MS 10000             /* to finish the handshake */

typedef struct conn {
	uv_tcp_t tcp;           /* first: the handle's data points back here */
	net *net;
	uint32_t id;
	bool outgoing;
	bool up;                /* the TCP connection is established */
	bool open;              /* the handshake is done: the node knows it */
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
	seal sl;
	uint64_t born;          /* loop time the TCP connection came up */
	struct conn *next;
} conn;

struct net {
	uv_loop_t *loop;
	net_callbacks cb;
	uv_tcp_t listener;
	bool listening;
	uint8_t psk[SEAL_KEY];
	uint8_t *plain;         /* an opened record, SEAL_MAX_PLAIN bytes */
	int nconns;
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
net_new(uv_loop_t *loop, const net_callbacks *cb, const uint8_t psk[SEAL_KEY])
{
	net *t = xcalloc(1, sizeof *t);

	t->loop = loop;
	t->cb = *cb;
	t->next_id = 1;
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

	(void)hint;
	if (c->incap - c->inlen < READ_CHUNK) {
		c->incap = c->inlen + READ_CHUNK;
		c->in = xrealloc(c->in, c->incap);
	}
	*buf = uv_buf_init((char *)c->in + c->inlen, (unsigned)(c->incap - c->inlen));
}

static void
on_written(uv_write_t *req, int status)
{
	write_req *w = (write_req *)req;

	(void)status; /* a failed write shows up as a read error */
	free(w->buf.base);
	free(w);
}

/* Queue bytes to write as they are (the handshake's). */
static void
write_raw(conn *c, const uint8_t *data, size_t len)
{
	write_req *w = xmalloc(sizeof *w);

	w->buf = uv_buf_init(xmalloc(len), (unsigned)len);
	memcpy(w->buf.base, data, len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) != 0) {
		free(w->buf.base);
		free(w);
	}
}

static void
put_len(uint8_t *p, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

/* The handshake failed: a stranger, or a peer with another secret. */
static void
refuse(conn *c, int err)
{
	net *t = c->net;

	logf_(t, c->outgoing ? "refused by %s: %s" : "refused a connection from %s: %s", c->host,
	      seal_strerror(err));
	if (t->cb.refused && err == SEAL_EAUTH)
		t->cb.refused(t->cb.ctx, c->id, c->outgoing);
	if (!c->closing)
		conn_fail(c, seal_strerror(err));
}

/* Hand up every frame of an opened record; it holds whole frames only. */
static void
deliver_frames(conn *c, const uint8_t *p, size_t len)
{
	size_t off = 0, flen;
	int rc = 1;

	while (!c->closing && off < len && (rc = wire_frame_split(p + off, len - off, &flen)) == 1) {
		c->net->cb.frame(c->net->cb.ctx, c->id, p + off + WIRE_HEADER, flen - WIRE_HEADER);
		off += flen;
	}
	if (!c->closing && off < len) {
		const char *why = rc < 0 ? wire_strerror(rc) : "a frame cut across records";
		logf_(c->net, "dropping link from %s: %s", c->host, why);
		conn_fail(c, why);
	}
}

/* One HELLO or record, as the handshake stands. */
static void
on_unit(conn *c, const uint8_t *u, size_t len)
{
	net *t = c->net;
	uint8_t confirm[UNIT_HEADER + SEAL_TAG + 16];
	size_t plen;
	int rc;

	switch (c->sl.state) {
	case SEAL_WAIT_HELLO:
		if ((rc = seal_on_hello(&c->sl, u, len)) != 0) {
			refuse(c, rc);
			return;
		}
		plen = seal_confirm(&c->sl, confirm + UNIT_HEADER);
		put_len(confirm, plen);
		write_raw(c, confirm, UNIT_HEADER + plen);
		return;
	case SEAL_WAIT_CONFIRM:
		if ((rc = seal_open(&c->sl, u, len, NULL, &plen)) != 0) {
			refuse(c, rc);
			return;
		}
		c->open = true;
		t->cb.up(t->cb.ctx, c->id, c->outgoing, c->host, c->sl.binding);
		return;
	case SEAL_OPEN:
		if ((rc = seal_open(&c->sl, u, len, t->plain, &plen)) != 0) {
			logf_(t, "dropping link from %s: %s", c->host, seal_strerror(rc));
			conn_fail(c, seal_strerror(rc));
			return;
		}
		deliver_frames(c, t->plain, plen);
		return;
	case SEAL_FAILED:
		return;
	}
}

/* Take every whole unit (length, then bytes) in the buffer; keep the rest. */
static void
drain_units(conn *c)
{
	size_t off = 0;

	while (!c->closing && c->inlen - off >= UNIT_HEADER) {
		const uint8_t *p = c->in + off;
		size_t len = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
		if (len == 0 || len > SEAL_MAX_PLAIN + SEAL_TAG) {
			logf_(c->net, "dropping link from %s: %s", c->host, "unit length out of bounds");
			conn_fail(c, "unit length out of bounds");
			return;
		}
		if (c->inlen - off - UNIT_HEADER < len)
			break;
		on_unit(c, p + UNIT_HEADER, len);
		off += UNIT_HEADER + len;
	}
	if (c->closing)
		return;
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
	drain_units(c);
	/* Keep the buffer small when idle. */
	if (c->inlen == 0 && c->incap > 4 * READ_CHUNK) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

/* Connected: both sides send their HELLO at once. */
static void
conn_start(conn *c)
{
	uint8_t random[SEAL_KEY], hello[UNIT_HEADER + SEAL_HELLO];

	c->up = true;
	c->born = uv_now(c->net->loop);
	randombytes_buf(random, sizeof random);
	seal_init(&c->sl, c->net->psk, random);
	sodium_memzero(random, sizeof random);
	put_len(hello, SEAL_HELLO);
	seal_hello(&c->sl, hello + UNIT_HEADER);
	write_raw(c, hello, sizeof hello);
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
	if (t->nconns > NET_MAX_CONNS) {
		logf_(t, "refusing a connection from %s: %s", c->host, "too many links already");
		conn_close(c);
		return;
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

/* Seal the frames gathered since the last flush into records, one write. */
static void
conn_flush(conn *c)
{
	size_t cap = c->outlen + (c->outlen / (64 * 1024) + 2) * (UNIT_HEADER + SEAL_TAG);
	size_t o = 0, off = 0;

	if (c->outlen == 0 || c->closing || !c->open)
		return;
	uint8_t *buf = xmalloc(cap);
	while (off < c->outlen) {
		size_t take = 0;
		/* Whole frames, as many as fit a record (a frame always does). */
		while (off + take < c->outlen) {
			const uint8_t *f = c->out + off + take;
			size_t flen = WIRE_HEADER + (((size_t)f[0] << 24) | ((size_t)f[1] << 16) |
						     ((size_t)f[2] << 8) | f[3]);
			if (take > 0 && take + flen > SEAL_MAX_PLAIN)
				break;
			take += flen;
		}
		size_t rlen = seal_close(&c->sl, c->out + off, take, buf + o + UNIT_HEADER);
		put_len(buf + o, rlen);
		o += UNIT_HEADER + rlen;
		off += take;
	}
	c->outlen = 0;
	if (c->outcap > 4 * 1024 * 1024) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	write_req *w = xmalloc(sizeof *w);
	w->buf = uv_buf_init((char *)buf, (unsigned)o);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) != 0) {
		free(buf);
		free(w);
	}
	if (c->tcp.write_queue_size > NET_MAX_QUEUED) {
		logf_(c->net, "dropping link to %s: %s", c->host, "it does not read what is sent");
		conn_fail(c, "peer does not read");
	}
}

void
net_flush(net *t)
{
	for (conn *c = t->conns; c; c = c->next)
		conn_flush(c);
}

void
net_sweep(net *t)
{
	uint64_t now = uv_now(t->loop);

	for (conn *c = t->conns; c; c = c->next)
		if (c->up && !c->open && !c->closing && now - c->born > NET_HANDSHAKE_MS) {
			logf_(t, "dropping link %s %s: no handshake", c->outgoing ? "to" : "from",
			      c->host);
			conn_fail(c, "no handshake");
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
