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
static void
conn_close(conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	net_seal_flush(c);
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

	(void)hint;
	if (c->incap - c->inlen < READ_CHUNK) {
		c->incap = c->inlen + READ_CHUNK;
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
	c->born = uv_now(c->net->loop);
	net_seal_start(c);
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
		net_logf(t, "refusing a connection from %s: %s", c->host, "too many links already");
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
	for (conn *c = t->conns; c; c = c->next)
		net_seal_flush(c);
}

void
net_sweep(net *t)
{
	uint64_t now = uv_now(t->loop);

	for (conn *c = t->conns; c; c = c->next)
		if (c->up && !c->open && !c->closing && now - c->born > NET_HANDSHAKE_MS) {
			net_logf(t, "dropping link %s %s: no handshake", c->outgoing ? "to" : "from",
			      c->host);
			net_conn_fail(c, "no handshake");
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
