/*
 * conn_int — a connection's state, shared by conn.c (the connection) and
 * its framers in the shell (conn_lines.c; WebSocket and AMQP next).
 * Nothing else includes it: owners go through conn.h.
 */
#ifndef CHORUS_CONN_INT_H
#define CHORUS_CONN_INT_H

#include "conn.h"
#include "lines.h"

struct conn {
	uv_tcp_t tcp;           /* first: the handle's data points back here */
	uv_loop_t *loop;
	const conn_handlers *h;
	void *data;             /* the owner's */
	const conn_framer *fr;
	void *fs;               /* the framer's state */
	lines *split;           /* the lines framer's state */
	char host[64];
	bool resolving;         /* a name lookup is in flight: the handle waits for it */
	bool up;                /* connected */
	bool reading;
	bool failed;            /* fail ran: no more reading */
	bool closing;           /* conn_close: no callback but gone */
	bool now;               /* closing at once: writes are tried, never queued */
	bool flushing;          /* inside conn_flush */
	size_t cap;             /* unwritten bytes before CONN_EQUEUE (0: no cap) */
	uint8_t *in;            /* bytes read, not taken by the framer yet */
	size_t inlen, incap;
	uint8_t *out;           /* bytes gathered since the last flush */
	size_t outlen, outcap;
};

/* Stop reading and tell the owner (fail), once; never after conn_close. */
void conn_fail(conn *c, int err);

#endif
