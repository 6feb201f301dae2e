/*
 * conn_tcp — the TCP transport of conn (conn_int.h): a libuv TCP handle
 * per connection; dialling (the name resolved, then connected) and
 * listening (at most CONN_ACCEPTS_PER_PASS accepts per pass).
 */
#include "conn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "xalloc.h"

typedef struct tcp_conn {
	conn c;                 /* first: a conn is a tcp_conn */
	uv_tcp_t tcp;
	bool resolving;         /* a name lookup is in flight: the handle waits for it */
} tcp_conn;

#define TCP(c) ((tcp_conn *)(c))

struct conn_listener {
	uv_tcp_t tcp;
	conn_accept_fn *fn;
	void *ctx;
	int accepted;           /* in this pass of the loop */
	bool waiting;           /* one more is waiting: libuv holds it until we take it */
	bool closing;
	void (*done)(void *);
	void *done_ctx;
};

static const conn_transport tcp_transport;

static conn *
tcp_new(uv_loop_t *loop, const conn_handlers *h, void *data)
{
	conn *c = conn_new(loop, sizeof(tcp_conn), &tcp_transport, h, data);

	uv_tcp_init(loop, &TCP(c)->tcp);
	TCP(c)->tcp.data = c;
	return c;
}

static void
on_closed(uv_handle_t *hd)
{
	conn_gone(hd->data);
}

/* --- reading ---------------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *buf)
{
	size_t cap;
	uint8_t *room = conn_room(hd->data, &cap);

	(void)hint;
	*buf = uv_buf_init((char *)room, (unsigned)cap);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	if (nread < 0)
		conn_fail(s->data, (int)nread);
	else
		conn_took(s->data, (size_t)nread);
}

static void
tcp_reading(conn *c, bool on)
{
	if (on)
		uv_read_start((uv_stream_t *)&TCP(c)->tcp, on_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&TCP(c)->tcp);
}

static bool
tcp_unread(const conn *c)
{
	uv_os_fd_t fd;
	int n = 0;

	return uv_fileno((const uv_handle_t *)&TCP(c)->tcp, &fd) == 0 &&
	       ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* --- writing ---------------------------------------------------------------------- */

typedef struct write_req {
	uv_write_t req;
	char data[];
} write_req;

static void
on_written(uv_write_t *req, int status)
{
	(void)status; /* a failed write shows up as a read error */
	free(req);
}

static void
tcp_write(conn *c, const void *data, size_t len)
{
	uv_tcp_t *tcp = &TCP(c)->tcp;
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	size_t queued = tcp->write_queue_size;
	int k;

	if (uv_is_closing((uv_handle_t *)tcp))
		return;
	k = queued ? 0 : uv_try_write((uv_stream_t *)tcp, &b, 1);
	size_t done = k > 0 ? (size_t)k : 0, rest = len - done;
	if (rest == 0 || c->now)
		return;
	if (c->cap && queued + rest > c->cap) {
		conn_fail(c, CONN_EQUEUE);
		return;
	}
	write_req *w = xmalloc(sizeof *w + rest);
	memcpy(w->data, (const char *)data + done, rest);
	b = uv_buf_init(w->data, (unsigned)rest);
	if ((k = uv_write(&w->req, (uv_stream_t *)tcp, &b, 1, on_written)) != 0) {
		free(w);
		conn_fail(c, k);
	}
}

static size_t
tcp_queued(const conn *c)
{
	return TCP(c)->tcp.write_queue_size;
}

/* --- closing ---------------------------------------------------------------------- */

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	uv_handle_t *hd = (uv_handle_t *)req->handle;

	(void)status;
	free(req);
	if (!uv_is_closing(hd))
		uv_close(hd, on_closed);
}

/* Close the handle: at once, or after the queued writes (shutdown). */
static void
tcp_close(conn *c, conn_close_how how)
{
	uv_tcp_t *tcp = &TCP(c)->tcp;

	if (TCP(c)->resolving || uv_is_closing((uv_handle_t *)tcp))
		return; /* on_resolved closes it */
	if (how == CONN_FLUSH && c->up) {
		uv_shutdown_t *req = xmalloc(sizeof *req);
		if (uv_shutdown(req, (uv_stream_t *)tcp, on_shutdown) == 0)
			return;
		free(req);
	}
	uv_close((uv_handle_t *)tcp, on_closed);
}

static const conn_transport tcp_transport = {
	.reading = tcp_reading, .write = tcp_write, .queued = tcp_queued, .close = tcp_close,
	.unread = tcp_unread,
};

/* --- dialling ----------------------------------------------------------------------- */

static void
on_connect(uv_connect_t *req, int status)
{
	conn *c = req->handle->data;

	free(req);
	if (c->closing)
		return;
	if (status < 0) {
		conn_fail(c, status);
		return;
	}
	c->up = true;
	uv_tcp_nodelay(&TCP(c)->tcp, 1);
	conn_reading(c, true);
	c->h->up(c);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	conn *c = req->data;
	int rc = status;

	free(req);
	TCP(c)->resolving = false;
	if (c->closing) {
		if (res)
			uv_freeaddrinfo(res);
		uv_close((uv_handle_t *)&TCP(c)->tcp, on_closed);
		return;
	}
	if (rc == 0 && res == NULL)
		rc = UV_EAI_NONAME;
	if (rc == 0) {
		uv_connect_t *creq = xmalloc(sizeof *creq);
		if ((rc = uv_tcp_connect(creq, &TCP(c)->tcp, res->ai_addr, on_connect)) != 0)
			free(creq);
	}
	if (res)
		uv_freeaddrinfo(res);
	if (rc != 0)
		conn_fail(c, rc);
}

int
conn_connect(uv_loop_t *loop, const char *host, uint16_t port, const conn_handlers *h,
	     void *data, conn **out)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	uv_getaddrinfo_t *req = xmalloc(sizeof *req);
	conn *c = tcp_new(loop, h, data);
	char service[8];
	int rc;

	snprintf(c->host, sizeof c->host, "%s", host);
	snprintf(service, sizeof service, "%u", port);
	req->data = c;
	TCP(c)->resolving = true;
	if ((rc = uv_getaddrinfo(loop, req, on_resolved, host, service, &hints)) != 0) {
		free(req);
		TCP(c)->resolving = false;
		conn_disown(c);
		uv_close((uv_handle_t *)&TCP(c)->tcp, on_closed);
		return rc;
	}
	*out = c;
	return 0;
}

/* --- listening ---------------------------------------------------------------------- */

/*
 * libuv accepts for as long as connections come; a flood would keep it at
 * it, starving everything else, and push out a newcomer before its first
 * bytes are read.  So at most CONN_ACCEPTS_PER_PASS a pass: the next one
 * waits (libuv stops watching the listener until it is taken) for
 * conn_listener_pass, at the end of the pass, after the reads.
 */
static void
on_connection(uv_stream_t *server, int status)
{
	conn_listener *l = server->data;

	if (status < 0 || l->closing)
		return;
	if (l->accepted >= CONN_ACCEPTS_PER_PASS) {
		l->waiting = true;
		return;
	}
	l->accepted++;
	l->fn(l->ctx, l);
}

void
conn_listener_pass(conn_listener *l)
{
	l->accepted = 0;
	if (l->waiting && !l->closing) {
		l->waiting = false;
		l->accepted++;
		l->fn(l->ctx, l);
	}
}

static void
on_listener_closed(uv_handle_t *hd)
{
	conn_listener *l = hd->data;

	if (l->done)
		l->done(l->done_ctx);
	free(l);
}

void
conn_listener_close(conn_listener *l, void (*done)(void *ctx), void *ctx)
{
	if (l->closing)
		return;
	l->closing = true;
	l->done = done;
	l->done_ctx = ctx;
	uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
}

int
conn_listen(uv_loop_t *loop, const char *host, uint16_t port, conn_accept_fn *fn, void *ctx,
	    conn_listener **out)
{
	struct sockaddr_storage sa;
	conn_listener *l;
	int rc;

	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) != 0)
		return UV_EINVAL;
	l = xcalloc(1, sizeof *l);
	l->fn = fn;
	l->ctx = ctx;
	uv_tcp_init(loop, &l->tcp);
	l->tcp.data = l;
	if ((rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&sa, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&l->tcp, CONN_BACKLOG, on_connection)) != 0) {
		conn_listener_close(l, NULL, NULL);
		return rc;
	}
	*out = l;
	return 0;
}

uint16_t
conn_listener_port(const conn_listener *l)
{
	struct sockaddr_storage sa;
	int len = sizeof sa;

	if (l == NULL || uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&sa, &len) != 0)
		return 0;
	return ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
					      : ((struct sockaddr_in *)&sa)->sin_port);
}

conn *
conn_accept(conn_listener *l, const conn_handlers *h, void *data)
{
	conn *c = tcp_new(l->tcp.loop, h, data);
	struct sockaddr_storage sa;
	int salen = sizeof sa;

	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&TCP(c)->tcp) != 0) {
		conn_disown(c);
		uv_close((uv_handle_t *)&TCP(c)->tcp, on_closed);
		return NULL;
	}
	if (uv_tcp_getpeername(&TCP(c)->tcp, (struct sockaddr *)&sa, &salen) == 0)
		uv_ip_name((struct sockaddr *)&sa, c->host, sizeof c->host);
	c->up = true;
	uv_tcp_nodelay(&TCP(c)->tcp, 1);
	return c;
}

