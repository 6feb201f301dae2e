/* conn — see conn.h. */
#include "conn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "backoff.h"
#include "xalloc.h"

#define CONN_KEEP_IN (4 * CONN_READ_CHUNK)  /* a larger read buffer is freed when empty */
#define CONN_KEEP_OUT (4 * 1024 * 1024)     /* a larger gather buffer is freed once written */


static const conn_handlers no_handlers; /* a conn the owner never got */

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

const char *
conn_strerror(int err)
{
	switch (err) {
	case CONN_ETOOLONG: return "line too long";
	case CONN_EQUEUE: return "send queue full";
	default: return uv_strerror(err);
	}
}

static conn *
conn_new(uv_loop_t *loop, const conn_handlers *h, void *data)
{
	conn *c = xcalloc(1, sizeof *c);

	c->loop = loop;
	c->h = h;
	c->data = data;
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	return c;
}

static void
on_closed(uv_handle_t *hd)
{
	conn *c = hd->data;

	if (c->h->gone)
		c->h->gone(c);
	free(c->split);
	free(c->in);
	free(c->out);
	free(c);
}

void
conn_fail(conn *c, int err)
{
	if (c->closing || c->failed)
		return;
	c->failed = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->h->fail(c, err);
}

/* --- reading ---------------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *buf)
{
	conn *c = hd->data;
	size_t room = c->fr && c->fr->room ? c->fr->room(c, c->fs, c->inlen) : CONN_READ_CHUNK;

	(void)hint;
	if (c->incap - c->inlen < room) {
		c->incap = c->inlen + room;
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
		conn_fail(c, (int)nread);
		return;
	}
	if (nread == 0 || c->closing)
		return;
	if (c->h->heard)
		c->h->heard(c);
	c->inlen += (size_t)nread;
	size_t done = c->fr ? c->fr->read(c, c->fs, c->in, c->inlen) : c->inlen;
	if (c->closing || c->failed)
		return;
	memmove(c->in, c->in + done, c->inlen - done);
	c->inlen -= done;
	/* Keep the buffer small when idle. */
	if (c->inlen == 0 && c->incap > CONN_KEEP_IN) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

void
conn_reading(conn *c, bool on)
{
	if (on == c->reading || c->closing || c->failed)
		return;
	c->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&c->tcp);
}

void
conn_frame(conn *c, const conn_framer *f, void *state)
{
	c->fr = f;
	c->fs = state;
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

void
conn_write(conn *c, const void *data, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	size_t queued = c->tcp.write_queue_size;
	int k;

	if (!c->up || len == 0 || uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	k = queued ? 0 : uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
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
	if ((k = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written)) != 0) {
		free(w);
		conn_fail(c, k);
	}
}

void
conn_put(conn *c, const void *data, size_t len)
{
	if (c->closing)
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
conn_send(conn *c, const void *frame, size_t len)
{
	if (c->fr && c->fr->encode)
		c->fr->encode(c, c->fs, frame, len);
	else
		conn_put(c, frame, len);
}

void
conn_flush(conn *c)
{
	uint8_t *out = c->out;
	size_t len = c->outlen, cap = c->outcap;

	if (len == 0 || c->flushing)
		return;
	/* Detached while written: what a callback gathers meanwhile goes to a new buffer. */
	c->flushing = true;
	c->out = NULL;
	c->outlen = c->outcap = 0;
	if (c->fr && c->fr->flush)
		c->fr->flush(c, c->fs, out, len);
	else
		conn_write(c, out, len);
	c->flushing = false;
	if (c->out == NULL && cap <= CONN_KEEP_OUT) {
		c->out = out; /* kept for the next pass */
		c->outcap = cap;
	} else {
		free(out);
	}
}

size_t
conn_pending(const conn *c)
{
	return c->outlen + c->tcp.write_queue_size;
}

void
conn_cap(conn *c, size_t bytes)
{
	c->cap = bytes;
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
close_handle(conn *c, conn_close_how how)
{
	if (c->resolving || uv_is_closing((uv_handle_t *)&c->tcp))
		return; /* on_resolved closes it */
	if (how == CONN_FLUSH && c->up) {
		uv_shutdown_t *req = xmalloc(sizeof *req);
		if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) == 0)
			return;
		free(req);
	}
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

void
conn_close(conn *c, conn_close_how how)
{
	if (!c->closing) {
		c->now = how == CONN_NOW;
		conn_flush(c);
		c->closing = true;
		uv_read_stop((uv_stream_t *)&c->tcp);
	} else if (how == CONN_FLUSH) {
		return; /* closing already, at least as fast */
	}
	close_handle(c, how);
}

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
	uv_tcp_nodelay(&c->tcp, 1);
	conn_reading(c, true);
	c->h->up(c);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	conn *c = req->data;
	int rc = status;

	free(req);
	c->resolving = false;
	if (c->closing) {
		if (res)
			uv_freeaddrinfo(res);
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return;
	}
	if (rc == 0 && res == NULL)
		rc = UV_EAI_NONAME;
	if (rc == 0) {
		uv_connect_t *creq = xmalloc(sizeof *creq);
		if ((rc = uv_tcp_connect(creq, &c->tcp, res->ai_addr, on_connect)) != 0)
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
	conn *c = conn_new(loop, h, data);
	char service[8];
	int rc;

	snprintf(c->host, sizeof c->host, "%s", host);
	snprintf(service, sizeof service, "%u", port);
	req->data = c;
	c->resolving = true;
	if ((rc = uv_getaddrinfo(loop, req, on_resolved, host, service, &hints)) != 0) {
		free(req);
		c->resolving = false;
		c->closing = true; /* no callback: gone is the owner's only after success */
		c->h = &no_handlers;
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return rc;
	}
	*out = c;
	return 0;
}

uint64_t
conn_backoff(int tried, int naddrs)
{
	uint64_t delay = CONN_RETRY_MIN;

	/* Once round the addresses at the least delay, then twice as long each round. */
	for (int k = naddrs; k < tried && delay < CONN_RETRY_MAX; k += naddrs)
		delay = backoff_next(delay, CONN_RETRY_MAX);
	return delay;
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
	conn *c = conn_new(l->tcp.loop, h, data);
	struct sockaddr_storage sa;
	int salen = sizeof sa;

	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&c->tcp) != 0) {
		c->closing = true;
		c->h = &no_handlers;
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return NULL;
	}
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0)
		uv_ip_name((struct sockaddr *)&sa, c->host, sizeof c->host);
	c->up = true;
	uv_tcp_nodelay(&c->tcp, 1);
	return c;
}

/* --- the rest ------------------------------------------------------------------------- */

void *
conn_data(const conn *c)
{
	return c->data;
}

void
conn_set_data(conn *c, void *data)
{
	c->data = data;
}

const char *
conn_host(const conn *c)
{
	return c->host;
}

bool
conn_unread(const conn *c)
{
	uv_os_fd_t fd;
	int n = 0;

	return uv_fileno((const uv_handle_t *)&c->tcp, &fd) == 0 && ioctl(fd, FIONREAD, &n) == 0 &&
	       n > 0;
}

int
conn_pick_stranger(conn *const *cs, idle *const *lives, int n, int grace, uint64_t now)
{
	int i;

	/* Silent as far as we have read: its bytes may be waiting in the kernel still. */
	while ((i = idle_pick((const idle *const *)lives, n, grace)) >= 0 && !lives[i]->spoke &&
	       conn_unread(cs[i]))
		idle_heard(lives[i], now);
	return i;
}
