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
 * lets 8 MiB pile up unread is dropped.
 *
 * Budgets.  Connections still in the handshake are strangers until they
 * prove the secret, so they never take what members need: accepted ones
 * have a budget of their own (NET_MAX_UNFINISHED), apart from the links
 * (NET_MAX_LINKS: those whose handshake is done, and our own dials).
 * When the unfinished budget is full, an unfinished connection is closed
 * to make room for the new one: the oldest of those that have sent
 * nothing while NET_MAX_UNFINISHED / 2 newer ones came, else the oldest
 * of all (idle_pick).  A flood from the very address of a joiner
 * (loopback, one NAT) cannot keep it out: the joiner's connection is the
 * newest, and its HELLO comes with it.  Each has handshake_ms to finish
 * (net_sweep); bytes that arrive meanwhile do not extend it.  A finished
 * handshake when the links are all taken is refused.  At most
 * CONN_ACCEPTS_PER_PASS connections are accepted per pass of the loop
 * (the next waits for net_flush), so a flood neither starves the links
 * nor pushes a joiner out before its bytes are read.
 *
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

#include "broker.h"
#include "seal.h"

#define NET_MAX_LINKS 256        /* members' links (handshake done) and our own dials */
#define NET_MAX_UNFINISHED 256   /* accepted connections still in the handshake */
#define NET_HANDSHAKE_MS 10000   /* to finish the handshake, unless net_new says otherwise */
/* The most descriptors net holds at once: both budgets, and a burst of accepts closing. */
#define NET_FILES (NET_MAX_LINKS + NET_MAX_UNFINISHED + 128)

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

/*
 * psk: the chat secret's key (seal_psk); every link must prove it.
 * handshake_ms: the time a connection has to finish the handshake (0: NET_HANDSHAKE_MS).
 */
net *net_new(uv_loop_t *loop, const net_callbacks *cb, const uint8_t psk[SEAL_KEY],
	     unsigned handshake_ms);

/* Listen on host:port; *bound receives the actual port.  0 or -errno. */
int net_listen(net *t, const char *host, uint16_t port, uint16_t *bound);

/*
 * Links through a broker too (not owned): a host "~ID" is dialled through
 * it, and the streams it announces (broker_callbacks.open: call
 * net_broker_open) are accepted like connections.
 */
void net_use_broker(net *t, broker *b);
void net_broker_open(net *t, broker *b);

/* Start a connect; up or down follows. */
uint32_t net_connect(net *t, const char *host, uint16_t port);
void net_send(net *t, uint32_t link, const uint8_t *data, size_t len);
/* Write out everything gathered by net_send. */
void net_flush(net *t);
/*
 * Close connections whose handshake has not finished within handshake_ms,
 * and log what the budgets dropped (at most a line a second).  Call it
 * every few tens of milliseconds.
 */
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
