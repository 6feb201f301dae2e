/*
 * simbroker — the simulator's fake RabbitMQ broker (issue 13): one more
 * network element, used instead of simnet when the cluster runs in broker
 * mode (c->broker).  It knows nothing of the cores; bnode.c is the broker
 * shell of each simulated node (what src/shell/broker*.c do) on top of it.
 *
 * Model (what a node's AMQP connection to a real broker would see):
 *  - Each host has at most one connection.  A connect is an attempt that
 *    succeeds after a delay if the broker is up and the host's own outage
 *    (a fault) is over, else fails; the node tries again (bnode.c: backoff).
 *    A connection declares the node's queue, named by its ID (exclusive,
 *    auto-delete: it goes with the connection), bound to the fanout (roll
 *    calls) and to the direct route by its ID (streams, answers).
 *  - A published message travels the publisher's connection (FIFO, a
 *    random delay) to the broker, which routes it when it arrives: the
 *    fanout copies it into every queue there is (the publisher's own too);
 *    the direct route into the queue of its ID.  Everything is mandatory:
 *    a direct message whose queue is gone comes back to the publisher as
 *    a return.  A queue then hands its messages to its consumer (FIFO, a
 *    random delay).
 *  - A process killed closes its connection (the kernel resets it): its
 *    queue goes.  A host powered off leaves its connection and queue in
 *    place (AMQP heartbeats are off, as in the shell): messages for it are
 *    taken and never consumed, nothing comes back.  A stalled node reads
 *    nothing: what is for it waits.  A hung connection (the model of a
 *    partition between a node and the broker) carries nothing either way
 *    until it heals; nothing is lost.
 *
 * Faults: each message routed may be dropped, duplicated, delayed (and so
 * everything behind it on its way), or reordered (overtake what is ahead)
 * with the chances set by simbroker_chaos; the broker may restart empty
 * (every connection drops, every queue and message is gone, connects fail
 * while it is down); one host's connection may drop (its queue goes) and
 * not come back for a while.
 *
 * Like simnet, the broker never calls the cores: simbroker_pop hands out
 * one delivery at a time.  Randomness is the cluster's rng (borrowed).
 */
#ifndef SIM_SIMBROKER_H
#define SIM_SIMBROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define SIMBROKER_MAX_HOSTS 8
#define SIMBROKER_ID_LEN 16  /* hex digits of a node's ID, as in the shell */
#define SIMBROKER_BODY 70000 /* a message body's cap: a frame and its header */

typedef struct simbroker simbroker;

/* A message's type property, as the shell names them. */
typedef enum sb_type { SB_ROLL, SB_HERE, SB_OPEN, SB_DATA, SB_CLOSE } sb_type;

/* One message (its AMQP properties and body). */
typedef struct sb_msg {
	sb_type type;
	char from[SIMBROKER_ID_LEN + 1]; /* reply_to: the sender's ID */
	char to[SIMBROKER_ID_LEN + 1];   /* the routing key; "" on the fanout */
	char corr[2 * SIMBROKER_ID_LEN + 12]; /* correlation_id "ID.N" (streams) */
	uint64_t timestamp;              /* roll: the caller's start time */
	uint64_t seq;                    /* data: the framer's counter (bnode.c) */
	uint8_t *body;
	size_t len;
} sb_msg;

typedef enum sb_kind {
	SB_UP,       /* the connection is made (the queue declared) */
	SB_FAILED,   /* a connect failed */
	SB_DOWN,     /* the connection was lost */
	SB_MESSAGE,  /* a message from the queue */
	SB_RETURN,   /* a message of ours came back: its queue is gone */
} sb_kind;

/* One thing for a node to process; valid until the next simbroker_pop. */
typedef struct sb_delivery {
	int host;
	sb_kind kind;
	const sb_msg *msg;   /* SB_MESSAGE, SB_RETURN */
} sb_delivery;

/* What the broker did, for the statistics. */
typedef struct sb_stats {
	unsigned long delivered, returns, dropped, duplicated, delayed, reordered, restarts,
		conn_drops;
} sb_stats;

simbroker *simbroker_new(rng *r, unsigned max_delay_ms);
void simbroker_free(simbroker *b);
/* Per mille of routed messages dropped, duplicated, delayed, reordered. */
void simbroker_chaos(simbroker *b, unsigned drop, unsigned dup, unsigned delay, unsigned reorder);
const sb_stats *simbroker_stats(const simbroker *b);

/* --- what a node does -------------------------------------------------------- */

/* Try to connect host h with queue id at time `at`: SB_UP or SB_FAILED follows. */
void simbroker_connect(simbroker *b, int h, const char *id, uint64_t at);
/* Publish m (copied) on h's connection; a connection already lost eats it. */
void simbroker_publish(simbroker *b, int h, const sb_msg *m, uint64_t now);
/*
 * The process on h is gone (crashed or exited): rst, its connection and
 * queue go; else (powered off) they stay, and what comes for it is lost.
 * Nothing more is delivered to h.
 */
void simbroker_gone(simbroker *b, int h, bool rst, uint64_t now);
void simbroker_set_stalled(simbroker *b, int h, bool stalled);

/* --- faults ------------------------------------------------------------------- */

/* The broker restarts empty, and is back down_ms later. */
void simbroker_restart(simbroker *b, uint64_t now, uint64_t down_ms);
/* h's connection drops (false: it had none); connects fail for outage_ms. */
bool simbroker_drop_conn(simbroker *b, int h, uint64_t now, uint64_t outage_ms);
/* h's connection hangs (nothing passes either way), or carries on. */
void simbroker_hang(simbroker *b, int h, bool hung);
/* Every outage ends now, every hang too. */
void simbroker_heal(simbroker *b, uint64_t now);
/* Whether h has a connection (as the broker sees it). */
bool simbroker_connected(const simbroker *b, int h);

/* --- the clock -------------------------------------------------------------- */

/* The earliest time something can happen, or UINT64_MAX. */
uint64_t simbroker_next(simbroker *b);
/* Take one delivery due at `now`; false when nothing more is due. */
bool simbroker_pop(simbroker *b, uint64_t now, sb_delivery *out);

#endif
