/*
 * net_seal — a link's bytes as the handshake and records of seal.h: the
 * HELLO it starts with, the units it reads (HELLO, CONFIRM, then sealed
 * records cut into frames for the node), and the frames it sends, sealed
 * into records, one write per flush.  The connections themselves are
 * net.c's.
 */
#include "net_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "xalloc.h"

typedef struct write_req {
	uv_write_t req;
	uv_buf_t buf;
} write_req;

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

	net_logf(t, c->outgoing ? "refused by %s: %s" : "refused a connection from %s: %s", c->host,
	      seal_strerror(err));
	if (t->cb.refused && err == SEAL_EAUTH)
		t->cb.refused(t->cb.ctx, c->id, c->outgoing);
	if (!c->closing)
		net_conn_fail(c, seal_strerror(err));
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
		net_logf(c->net, "dropping link from %s: %s", c->host, why);
		net_conn_fail(c, why);
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
		if (!net_conn_finished(c))
			return;
		c->open = true;
		t->cb.up(t->cb.ctx, c->id, c->outgoing, c->host, c->sl.binding);
		return;
	case SEAL_OPEN:
		if ((rc = seal_open(&c->sl, u, len, t->plain, &plen)) != 0) {
			net_logf(t, "dropping link from %s: %s", c->host, seal_strerror(rc));
			net_conn_fail(c, seal_strerror(rc));
			return;
		}
		deliver_frames(c, t->plain, plen);
		return;
	case SEAL_FAILED:
		return;
	}
}

/* Take every whole unit (length, then bytes) in the buffer; keep the rest. */
void
net_seal_read(conn *c)
{
	size_t off = 0;

	while (!c->closing && c->inlen - off >= UNIT_HEADER) {
		const uint8_t *p = c->in + off;
		size_t len = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
		if (len == 0 || len > SEAL_MAX_PLAIN + SEAL_TAG ||
		    (!c->open && len > NET_HANDSHAKE_UNIT)) {
			net_logf(c->net, "dropping link from %s: %s", c->host, "unit length out of bounds");
			net_conn_fail(c, "unit length out of bounds");
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

/* Seal the frames gathered since the last flush into records, one write. */
void
net_seal_flush(conn *c)
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
		net_logf(c->net, "dropping link to %s: %s", c->host, "it does not read what is sent");
		net_conn_fail(c, "peer does not read");
	}
}

/* Connected: both sides send their HELLO at once. */
void
net_seal_start(conn *c)
{
	uint8_t random[SEAL_KEY], hello[UNIT_HEADER + SEAL_HELLO];

	randombytes_buf(random, sizeof random);
	seal_init(&c->sl, c->net->psk, random);
	sodium_memzero(random, sizeof random);
	put_len(hello, SEAL_HELLO);
	seal_hello(&c->sl, hello + UNIT_HEADER);
	write_raw(c, hello, sizeof hello);
}
