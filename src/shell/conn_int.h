/*
 * conn_int — a connection's state, shared by conn.c (the connection) and
 * its framers in the shell (conn_lines.c; WebSocket and AMQP next).
 * Nothing else includes it: owners go through conn.h.
 */
#ifndef CHORUS_CONN_INT_H
#define CHORUS_CONN_INT_H

#include "conn.h"
#include "lines.h"

/*
 * A transport: how a conn's bytes reach the other end.  TCP (conn_tcp.c)
 * is the one there is; a stream carried by a message broker is the next.
 * The transport's state follows struct conn in one allocation (conn_new's
 * size); it reports back through conn_room/conn_took (bytes read),
 * conn_fail and conn_gone.
 */
typedef struct conn_transport {
	/* Read, or stop reading (c->reading says which is wanted). */
	void (*reading)(conn *c, bool on);
	/*
	 * Write bytes: what cannot go at once is queued, unless c->now (then
	 * dropped), and a queue that would pass c->cap fails c (CONN_EQUEUE).
	 */
	void (*write)(conn *c, const void *data, size_t len);
	/* Bytes written but not yet on their way. */
	size_t (*queued)(const conn *c);
	/* Close (after the queue, for CONN_FLUSH); conn_gone once closed. */
	void (*close)(conn *c, conn_close_how how);
	/* Bytes arrived and not read yet. */
	bool (*unread)(const conn *c);
} conn_transport;

struct conn {
	const conn_transport *t;
	uv_loop_t *loop;
	const conn_handlers *h;
	void *data;             /* the owner's */
	const conn_framer *fr;
	void *fs;               /* the framer's state */
	lines *split;           /* the lines framer's state */
	char host[64];
	bool up;                /* connected */
	bool reading;
	bool failed;            /* fail ran: no more reading */
	bool closing;           /* conn_close: no callback but gone */
	bool now;               /* closing at once: writes are tried, never queued */
	bool flushing;          /* inside conn_flush */
	size_t cap;             /* unwritten bytes before CONN_EQUEUE (0: no cap) */
	uint8_t *in;            /* bytes read, not taken by the framer yet */
	size_t inlen, incap;
	bool in_spare;          /* the read under way goes to the shared buffer (conn.c) */
	uint8_t *out;           /* bytes gathered since the last flush */
	size_t outlen, outcap;
};

/* A conn of size bytes (struct conn first, then the transport's state). */
conn *conn_new(uv_loop_t *loop, size_t size, const conn_transport *t, const conn_handlers *h,
	       void *data);
/* A conn the owner never got (its start failed): no callback will run. */
void conn_disown(conn *c);
/* Where the transport reads to: *cap bytes at the returned address. */
uint8_t *conn_room(conn *c, size_t *cap);
/* n bytes were read there: the framer takes what it can. */
void conn_took(conn *c, size_t n);
/* Stop reading and tell the owner (fail), once; never after conn_close. */
void conn_fail(conn *c, int err);
/* The transport is closed: gone runs, and c is freed. */
void conn_gone(conn *c);

#endif
