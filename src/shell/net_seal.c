/*
 * net_seal — a link's bytes as the handshake and records of seal.h: the
 * framer of the links' connections (conn.h).  The HELLO a link starts
 * with, the units it reads (HELLO, CONFIRM, then sealed records cut into
 * frames for the node), and the frames it sends, sealed into records, one
 * write per flush.  The links themselves are net.c's.
 */
#include "net_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "wire.h"
#include "xalloc.h"

/* The handshake failed: a stranger, or a peer with another secret. */
static void
refuse(net_peer *p, int err)
{
	net *t = p->net;

	net_logf(t, p->outgoing ? "refused by %s: %s" : "refused a connection from %s: %s", p->host,
		 seal_strerror(err));
	if (t->cb.refused && err == SEAL_EAUTH)
		t->cb.refused(t->cb.ctx, p->id, p->outgoing);
	if (!p->closing)
		net_peer_fail(p, seal_strerror(err));
}

/* Hand up every frame of an opened record; it holds whole frames only. */
static void
deliver_frames(net_peer *p, const uint8_t *b, size_t len)
{
	size_t off = 0, flen;
	int rc = 1;

	while (!p->closing && off < len && (rc = wire_frame_split(b + off, len - off, &flen)) == 1) {
		p->net->cb.frame(p->net->cb.ctx, p->id, b + off + WIRE_HEADER, flen - WIRE_HEADER);
		off += flen;
	}
	if (!p->closing && off < len) {
		const char *why = rc < 0 ? wire_strerror(rc) : "a frame cut across records";
		net_logf(p->net, "dropping link from %s: %s", p->host, why);
		net_peer_fail(p, why);
	}
}

/* One HELLO or record, as the handshake stands. */
static void
on_unit(net_peer *p, const uint8_t *u, size_t len)
{
	net *t = p->net;
	uint8_t confirm[UNIT_HEADER + SEAL_TAG + 16];
	size_t plen;
	int rc;

	switch (p->sl.state) {
	case SEAL_WAIT_HELLO:
		if ((rc = seal_on_hello(&p->sl, u, len)) != 0) {
			refuse(p, rc);
			return;
		}
		plen = seal_confirm(&p->sl, confirm + UNIT_HEADER);
		be_put32(confirm, (uint32_t)plen);
		conn_write(p->c, confirm, UNIT_HEADER + plen);
		return;
	case SEAL_WAIT_CONFIRM:
		if ((rc = seal_open(&p->sl, u, len, NULL, &plen)) != 0) {
			refuse(p, rc);
			return;
		}
		if (!net_peer_finished(p))
			return;
		p->open = true;
		net_peer_shaken(p);
		t->cb.up(t->cb.ctx, p->id, p->outgoing, p->host, p->sl.binding);
		return;
	case SEAL_OPEN:
		if ((rc = seal_open(&p->sl, u, len, t->plain, &plen)) != 0) {
			net_logf(t, "dropping link from %s: %s", p->host, seal_strerror(rc));
			net_peer_fail(p, seal_strerror(rc));
			return;
		}
		deliver_frames(p, t->plain, plen);
		return;
	case SEAL_FAILED:
		return;
	}
}

/* A handshake's units are small: a stranger gets no 64 KiB buffer. */
static size_t
seal_room(conn *c, void *state, size_t held)
{
	const net_peer *p = state;

	(void)c;
	(void)held;
	return p->open ? CONN_READ_CHUNK : 4 * (UNIT_HEADER + NET_HANDSHAKE_UNIT);
}

/* Take every whole unit (length, then bytes) in the buffer; the rest waits. */
static size_t
seal_read(conn *c, void *state, uint8_t *in, size_t inlen)
{
	net_peer *p = state;
	size_t off = 0;

	(void)c;
	while (!p->closing && inlen - off >= UNIT_HEADER) {
		const uint8_t *b = in + off;
		size_t len = be_get32(b);
		if (len == 0 || len > SEAL_MAX_PLAIN + SEAL_TAG ||
		    (!p->open && len > NET_HANDSHAKE_UNIT)) {
			net_logf(p->net, "dropping link from %s: %s", p->host, "unit length out of bounds");
			net_peer_fail(p, "unit length out of bounds");
			return off;
		}
		if (inlen - off - UNIT_HEADER < len)
			break;
		on_unit(p, b + UNIT_HEADER, len);
		off += UNIT_HEADER + len;
	}
	return off;
}

/* Seal the frames gathered since the last flush into records, one write. */
static void
seal_flush(conn *c, void *state, const uint8_t *out, size_t outlen)
{
	net_peer *p = state;
	size_t cap = outlen + (outlen / (64 * 1024) + 2) * (UNIT_HEADER + SEAL_TAG);
	size_t o = 0, off = 0;

	if (!p->open)
		return;
	uint8_t *buf = xmalloc(cap);
	while (off < outlen) {
		size_t take = 0;
		/* Whole frames, as many as fit a record (a frame always does). */
		while (off + take < outlen) {
			const uint8_t *f = out + off + take;
			size_t flen = WIRE_HEADER + be_get32(f);
			if (take > 0 && take + flen > SEAL_MAX_PLAIN)
				break;
			take += flen;
		}
		size_t rlen = seal_close(&p->sl, out + off, take, buf + o + UNIT_HEADER);
		be_put32(buf + o, (uint32_t)rlen);
		o += UNIT_HEADER + rlen;
		off += take;
	}
	conn_write(c, buf, o);
	free(buf);
}

const conn_framer net_seal_framer = {seal_room, seal_read, NULL, seal_flush};

/* Connected: both sides send their HELLO at once. */
void
net_seal_start(net_peer *p)
{
	uint8_t random[SEAL_KEY], hello[UNIT_HEADER + SEAL_HELLO];

	randombytes_buf(random, sizeof random);
	seal_init(&p->sl, p->net->psk, random);
	sodium_memzero(random, sizeof random);
	be_put32(hello, SEAL_HELLO);
	seal_hello(&p->sl, hello + UNIT_HEADER);
	conn_write(p->c, hello, sizeof hello);
}
