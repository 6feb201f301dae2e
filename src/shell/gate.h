/*
 * gate — the IRC gateway: a node that accepts ordinary IRC clients
 * (--irc HOST:PORT).  Each client that joins the channel is a guest of the
 * node (guest.h): its lines go through the replicated history, and it
 * sees everyone else's.  docs/irc.md says what is spoken.
 *
 * Output to clients is gathered during a loop pass and written by
 * gate_flush, after the pass's records are committed: nothing leaves the
 * process before it is on disk.
 */
#ifndef CHORUS_GATE_H
#define CHORUS_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "event.h"
#include "node.h"
#include "secret.h"
#include "store.h"

typedef struct gate gate;

typedef struct gate_config {
	const char *host;       /* listen here */
	uint16_t port;
	const char *channel;    /* "#chorus" */
	const char *name;       /* the server's name in replies */
	bool need_pass;         /* PASS (the chat's secret) is required */
	uint8_t check[SECRET_CHECK]; /* the secret's check value */
} gate_config;

/*
 * Listen.  *err: 0, or the libuv error that kept it from listening (the
 * gateway then takes no one; the caller reports it and gives up).
 */
gate *gate_new(uv_loop_t *loop, node *core, store *st, const gate_config *c, int *err);
uint16_t gate_port(const gate *g);

/* An event of the core, for the clients. */
void gate_event(gate *g, const event *ev);
/* The core's notice about a guest attached here (node_io.guest). */
void gate_guest(gate *g, int what, const char *nick, const char *arg);
/*
 * A client's command answered through the core's events: while true, the
 * events are that client's, not the terminal's (gate_event takes them).
 */
bool gate_capturing(const gate *g);
/* Write what was gathered for the clients. */
void gate_flush(gate *g);
/* Stop or resume reading the clients (the core is busy). */
void gate_hold(gate *g, bool busy);
/* The node leaves: say goodbye to every client and close. */
void gate_close(gate *g);
void gate_free(gate *g);

#endif
