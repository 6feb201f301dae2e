/*
 * net — the node's TCP links, on libuv.
 *
 * A link is one TCP connection, named by a small integer id that is never 0.
 * Every link first runs the handshake of seal.h: both ends send a HELLO,
 * then a CONFIRM that only opens for someone who knows the chat's secret.
 * Only then does the node hear of an accepted link (up); a stranger is
 * refused with a log line and never reaches it.  After that, everything
 * is sealed: the frames a pass of the loop sends on a link (gathered by
 * net_send) become one or a few records, written by net_flush in one
 * write (the caller commits its store first: group commit).  Incoming
 * records are opened and cut into frames (wire_frame_split), each handed
 * up whole; a record that does not open (altered, replayed, reordered) or
 * any length out of bounds closes the link with one log line.  A peer that
 * lets 8 MiB pile up unread is dropped; at most 256 links at once.
 * net_close flushes what is gathered and queued before closing.  Callbacks
 * never free anything net owns; a link closed from inside a callback is
 * reaped after the callback returns.
 */
#ifndef CHORUS_NET_H
#define CHORUS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "seal.h"

typedef struct net net;

typedef struct net_callbacks {
	void *ctx;
	/* binding: the session's name (seal.binding), 32 bytes */
	void (*up)(void *ctx, uint32_t link, bool outgoing, const char *host,
		   const uint8_t *binding);
	void (*down)(void *ctx, uint32_t link, const char *why);
	void (*frame)(void *ctx, uint32_t link, const uint8_t *body, size_t len);
	void (*log)(void *ctx, const char *line);
	/* The peer does not know the chat's secret (the handshake failed). */
	void (*refused)(void *ctx, uint32_t link, bool outgoing);
} net_callbacks;

/* psk: the chat secret's key (seal_psk); every link must prove it. */
net *net_new(uv_loop_t *loop, const net_callbacks *cb, const uint8_t psk[SEAL_KEY]);

/* Listen on host:port; *bound receives the actual port.  0 or -errno. */
int net_listen(net *t, const char *host, uint16_t port, uint16_t *bound);

/* Start a connect; up or down follows. */
uint32_t net_connect(net *t, const char *host, uint16_t port);
void net_send(net *t, uint32_t link, const uint8_t *data, size_t len);
/* Write out everything gathered by net_send. */
void net_flush(net *t);
/* Close links whose handshake has not finished within 10 s. */
void net_sweep(net *t);
/* Bytes gathered or queued on a link and not yet written. */
size_t net_pending(net *t, uint32_t link);
/* Flush, then close; no down callback follows. */
void net_close(net *t, uint32_t link);

/*
 * Close the listener and every link, flushing queued writes for at most
 * grace_ms; then done(ctx) runs.  The net is freed after done returns.
 */
void net_shutdown(net *t, unsigned grace_ms, void (*done)(void *ctx), void *ctx);

#endif
