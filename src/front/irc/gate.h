/*
 * gate — the IRC gateway: a node that accepts ordinary IRC clients
 * (--irc HOST:PORT).  Each client that joins the channel is a guest of the
 * node (guest.h): its lines go through the replicated history, and it
 * sees everyone else's.  docs/irc.md says what is spoken.
 *
 * Output to clients is gathered during a loop pass and written by
 * gate_flush, after the pass's records are committed: nothing leaves the
 * process before it is on disk.
 *
 * Budgets.  A connection that has not registered yet (PASS, NICK, USER)
 * is a stranger: it takes nothing from registered clients.  Unregistered
 * ones have a budget of their own (GATE_MAX_UNREGISTERED); when it is
 * full one is dropped to make room for the newcomer: one that has said
 * nothing while GATE_MAX_UNREGISTERED / 2 newer ones came, else one that
 * has not given the right PASS, else any, the oldest first (idle_pick).
 * So idle sockets, even from the user's own address, cannot keep a user
 * out.  Each has register_ms to register (bytes do not extend it), and
 * at most CONN_ACCEPTS_PER_PASS are accepted per pass.  Registered
 * clients count against GATE_MAX_CLIENTS, taken at registration; one
 * quiet for ping_ms gets a PING, and is dropped when it then says nothing
 * for another ping_ms.
 */
#ifndef CHORUS_GATE_H
#define CHORUS_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "event.h"
#include "front.h"
#include "node.h"
#include "secret.h"

#define GATE_MAX_CLIENTS 1024        /* registered clients */
#define GATE_MAX_UNREGISTERED 256    /* connections not registered yet */
#define GATE_REGISTER_MS 30000       /* to register, unless the config says otherwise */
#define GATE_PING_MS 120000          /* quiet this long: PING; as long again: dropped */
/* The most descriptors the gateway holds at once: both budgets, and a burst of accepts closing. */
#define GATE_FILES (GATE_MAX_CLIENTS + GATE_MAX_UNREGISTERED + 128)

typedef struct gate gate;

typedef struct gate_config {
	const char *host;       /* listen here */
	uint16_t port;
	const char *channel;    /* "#chorus" */
	const char *name;       /* the server's name in replies */
	bool need_pass;         /* PASS (the chat's secret) is required */
	unsigned register_ms;   /* to register (0: GATE_REGISTER_MS) */
	unsigned ping_ms;       /* quiet registered clients: PING, then the end (0: GATE_PING_MS) */
	uint8_t check[SECRET_CHECK]; /* the secret's check value */
} gate_config;

/*
 * Listen.  *err: 0, or the libuv error that kept it from listening (the
 * gateway then takes no one; the caller reports it and gives up).
 */
gate *gate_new(uv_loop_t *loop, node *core, const gate_config *c, int *err);
uint16_t gate_port(const gate *g);

/*
 * An event of the core, for the clients.  (The answers to a client's \
 * command do not come here: gate_cmd.c asks the core with node_ask, and
 * they go to that client alone.)
 */
void gate_event(gate *g, const event *ev);
/* The core's notice about a guest attached here (node_io.guest). */
void gate_guest(gate *g, int what, const char *nick, const char *arg);
/* Write what was gathered for the clients. */
void gate_flush(gate *g);
/*
 * The deadlines: drop clients that did not register in time or did not
 * answer a PING, PING quiet ones, and log what the budget dropped (at most
 * a line a second).  Call it every few tens of milliseconds.
 */
void gate_sweep(gate *g);
/* Stop or resume reading the clients (the core is busy). */
void gate_hold(gate *g, bool busy);
/* The node leaves: say goodbye to every client and close. */
void gate_close(gate *g);
void gate_free(gate *g);

/* The gateway as a front end (gate_front.c): made when the options say --irc. */
int gate_front(void *arg, const front_env *env, front *out);

#endif
