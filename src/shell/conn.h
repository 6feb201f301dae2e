/*
 * conn — one TCP connection layer on libuv for every way into a node: the
 * peer links (net), the IRC gateway's clients (gate) and `chorus
 * connect`'s connection to a gateway (connect).
 *
 * A conn is one TCP connection: dialled (conn_connect: the name resolved,
 * then connected) or accepted from a conn_listener (one listen backlog,
 * at most CONN_ACCEPTS_PER_PASS accepts per pass of the loop).  It owns
 * its read buffer and its write queue; what the bytes mean is its
 * framer's (Redis's connection.h has a table of functions per transport;
 * here the table is per framing):
 *
 *   - lines (conn_frame_lines): CR LF lines of IRC, either way, split by
 *     lines.h; an over-long line fails the connection (CONN_ETOOLONG);
 *   - sealed units (net_seal.c): the handshake, then sealed records;
 *   - next: WebSocket frames, AMQP frames — a framer each.
 *
 * Beneath the framing, a transport carries the bytes (conn_int.h): TCP
 * (conn_tcp.c: dialling, listening, accepting) is the one there is; a
 * stream carried by a message broker is the next, under the same framers.
 *
 * A framer says how many bytes to read next, takes whole frames from the
 * bytes held (handing them up as it likes), and may turn what was
 * gathered into wire bytes at each flush (seal: records).
 *
 * Writing: conn_send (a frame, encoded by the framer) and conn_put (bytes
 * already framed) gather; conn_flush writes what was gathered in one go
 * (the caller commits its store first: group commit); conn_write writes
 * at once.  conn_pending counts what is gathered or queued; a connection
 * whose queue would pass its cap (conn_cap) fails with CONN_EQUEUE.
 *
 * Ownership.  The owner allocates nothing of a conn and frees nothing:
 * after conn_close no callback but gone runs, and the conn is freed when
 * gone returns.  A fail callback means the connection is of no more use
 * (read no more); the owner closes it, from inside the callback or later.
 * If a call that takes callbacks fails, none of them runs.
 */
#ifndef CHORUS_CONN_H
#define CHORUS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "idle.h"

#define CONN_BACKLOG 128            /* the kernel's queue of connections not accepted yet */
#define CONN_ACCEPTS_PER_PASS 64    /* connections accepted in one pass of the loop */
#define CONN_READ_CHUNK (64 * 1024) /* a read, unless the framer asks for less */
#define CONN_RETRY_MIN 100          /* ms before dialling again, doubled each round... */
#define CONN_RETRY_MAX 2000         /* ...up to this */

/* Errors of a conn's own, beside libuv's (negative too). */
#define CONN_ETOOLONG (-100001)     /* the lines framer: a line longer than its max */
#define CONN_EQUEUE (-100002)       /* the peer does not read: the queue passed the cap */

typedef struct conn conn;
typedef struct conn_listener conn_listener;

typedef struct conn_handlers {
	/* A dialled connection is up, and reading (conn_connect). */
	void (*up)(conn *c);
	/* Bytes arrived (before the framer takes them). */
	void (*heard)(conn *c);
	/* A line, without its CR LF (the lines framer). */
	void (*line)(conn *c, const char *line, size_t len);
	/*
	 * It failed: err is UV_EOF (closed by the peer), another libuv error
	 * (reading, resolving, connecting, writing), CONN_ETOOLONG or
	 * CONN_EQUEUE.  It is read no more; the owner closes it.
	 */
	void (*fail)(conn *c, int err);
	/* Closed: c is freed when this returns. */
	void (*gone)(conn *c);
} conn_handlers;

typedef struct conn_framer {
	/* Bytes to read next, given held bytes not taken yet. */
	size_t (*room)(conn *c, void *state, size_t held);
	/*
	 * Take the whole frames in buf[0..len); the count of bytes taken.  It
	 * may close or fail c: the rest is then left alone.
	 */
	size_t (*read)(conn *c, void *state, uint8_t *buf, size_t len);
	/* A frame for conn_send: put its wire form with conn_put (NULL: as it is). */
	void (*encode)(conn *c, void *state, const uint8_t *frame, size_t len);
	/*
	 * The bytes gathered since the last flush, to the wire with conn_write
	 * (NULL: as they are).
	 */
	void (*flush)(conn *c, void *state, const uint8_t *out, size_t len);
} conn_framer;

typedef enum conn_close_how {
	CONN_FLUSH,     /* write what is gathered and queued, then close */
	CONN_NOW,       /* what the socket takes at once of what is gathered, then close */
} conn_close_how;

/* --- listening ---------------------------------------------------------------------- */

/* A connection waits: take it with conn_accept (or leave it to the kernel). */
typedef void conn_accept_fn(void *ctx, conn_listener *l);

/* Listen on host:port (an IP address).  0 and *out, or a libuv error. */
int conn_listen(uv_loop_t *loop, const char *host, uint16_t port, conn_accept_fn *fn, void *ctx,
		conn_listener **out);
/* The port listened on, or 0. */
uint16_t conn_listener_port(const conn_listener *l);
/*
 * A pass of the loop ends: the next one may accept CONN_ACCEPTS_PER_PASS
 * again, and one connection that had to wait is taken now.
 */
void conn_listener_pass(conn_listener *l);
/* Stop listening; the listener is freed once closed. */
void conn_listener_close(conn_listener *l, void (*done)(void *ctx), void *ctx);

/*
 * Accept one connection; data is the owner's (conn_data).  Not reading
 * yet: conn_reading.  NULL if it failed (no callback runs).
 */
conn *conn_accept(conn_listener *l, const conn_handlers *h, void *data);

/* --- dialling ----------------------------------------------------------------------- */

/*
 * Resolve host and connect: up or fail follows.  0 and *out, or a libuv
 * error (no callback runs).
 */
int conn_connect(uv_loop_t *loop, const char *host, uint16_t port, const conn_handlers *h,
		 void *data, conn **out);
/* The delay before the next dial after tried failures over naddrs addresses (ms). */
uint64_t conn_backoff(int tried, int naddrs);

/* --- a connection ------------------------------------------------------------------- */

/* How its bytes are framed (before it reads); state is the framer's. */
void conn_frame(conn *c, const conn_framer *f, void *state);
/* CR LF lines of at most max bytes before the LF: the line handler gets them. */
void conn_frame_lines(conn *c, size_t max);
/* Unwritten bytes (gathered or queued) past which it fails with CONN_EQUEUE. */
void conn_cap(conn *c, size_t bytes);
/* Read, or stop reading (the bytes wait in the kernel). */
void conn_reading(conn *c, bool on);

/* The owner's pointer, given to conn_accept or conn_connect, or set here. */
void *conn_data(const conn *c);
void conn_set_data(conn *c, void *data);
/* The peer's address (accepted), or the host dialled. */
const char *conn_host(const conn *c);
/* Bytes that arrived on the socket and are not read yet (FIONREAD). */
bool conn_unread(const conn *c);

/* A frame, encoded by the framer, gathered for conn_flush. */
void conn_send(conn *c, const void *frame, size_t len);
/* Bytes already framed, gathered for conn_flush. */
void conn_put(conn *c, const void *data, size_t len);
/* Write out what was gathered (through the framer's flush). */
void conn_flush(conn *c);
/* Write bytes now, as they are (a framer's handshake; its flush). */
void conn_write(conn *c, const void *data, size_t len);
/* Bytes gathered or queued and not yet written. */
size_t conn_pending(const conn *c);

/* Close; gone follows.  A second call may make a CONN_FLUSH close CONN_NOW. */
void conn_close(conn *c, conn_close_how how);

/* A message for err: libuv's, or one of the CONN_E*. */
const char *conn_strerror(int err);

/*
 * Strangers: the budget is full and one must make room.  idle_pick over
 * lives[0..n) (newest first), except that one that seems silent but has
 * bytes waiting in the kernel (conn_unread) has spoken, and the pick goes
 * on.  The index picked, or -1.
 */
int conn_pick_stranger(conn *const *cs, idle *const *lives, int n, int grace, uint64_t now);

#endif
