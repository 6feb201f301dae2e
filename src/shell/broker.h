/*
 * broker — a node's way to the chat through a RabbitMQ broker (--broker,
 * SPEC section 10), on librabbitmq (rabbitmq-c) fitted to the libuv loop:
 * one AMQP connection, made on the thread pool (the library's calls to
 * set it up block), then its socket watched with uv_poll and read with the
 * library's non-blocking frame calls; publishes go out under publisher
 * confirms, a window of them at a time (broker_pub.c), so the loop never
 * waits for the broker.  While it cannot be reached, it is tried again,
 * with backoff, the next node of the cluster first.
 *
 * The broker carries streams, not messages of the chat: a link to a
 * member is a conn (conn.h) whose transport is this broker, under the
 * same framer as on TCP (net_seal: the handshake keyed by the chat's
 * secret, then sealed records).  So the broker sees only ciphertext, and
 * nothing of the core changes.
 *
 * Names.  A chat's exchanges are named from its key, never its secret:
 * chorus.TAG.all (fanout: the roll call) and chorus.TAG.to (direct:
 * streams), TAG = 16 hex digits of a keyed BLAKE2b of the chat's key.  Each
 * node has one exclusive queue, chorus.TAG.ID (ID: 16 random hex digits),
 * gone with its connection, bound to both; its address, as members
 * gossip it, is host "~ID" port BROKER_PORT.
 *
 * A stream's messages (AMQP properties): type "open", "data" or "close";
 * reply_to the sender's ID; correlation_id "ID.N", the dialler's ID and
 * its stream number.  Everything is published with mandatory set: a
 * message for a queue that is gone comes back (basic.return) and that
 * stream fails at once, as a TCP reset would.
 *
 * Roll call.  broker_roll_call publishes "roll" on the fanout exchange,
 * with the caller's start time (timestamp, ms), and again each time the
 * connection is made and, once joined, every ROLL_AGAIN_MS; who answers
 * "here" is roll.h's rule; its body is the answerer's highest known
 * incarnation (8 bytes, big-endian), which a newcomer takes one past.
 */
#ifndef CHORUS_BROKER_H
#define CHORUS_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "conn.h"

#define BROKER_PORT 1          /* the port in a broker address (members need one) */
#define BROKER_ID_LEN 16       /* hex digits of a node's ID on the broker */

typedef struct broker broker;

typedef struct broker_callbacks {
	void *ctx;
	/* A member opened a stream to us: take it with broker_take. */
	void (*open)(void *ctx, broker *b);
	/*
	 * A roll call was answered: a member (or an older newcomer) at host
	 * "~ID", which knows incarnations up to top (0: the answer said none).
	 */
	void (*here)(void *ctx, const char *host, uint64_t top);
	/* The highest incarnation the node knows of: what its answers carry. */
	uint64_t (*top)(void *ctx);
	/* The connection to the broker is made (again). */
	void (*up)(void *ctx);
	/* It cannot be reached, or the connection was lost: once an outage. */
	void (*down)(void *ctx, const char *why);
} broker_callbacks;

/*
 * Connect to one of urls[0..n) (amqp://[USER:PASS@]HOST[:PORT][/VHOST]:
 * the nodes of one RabbitMQ cluster, tried in turn, here and whenever the
 * connection is lost) and set up the chat's exchanges (named from key, 32
 * bytes) and our queue; started (wall ms) orders roll calls.  Returns at
 * once: up or down follows.
 */
broker *broker_new(uv_loop_t *loop, const char *const *urls, int n, const uint8_t key[32],
		   uint64_t started, const broker_callbacks *cb);
/* Our address: "~ID" (with BROKER_PORT). */
const char *broker_host(const broker *b);
/* Whether host is a broker address ("~ID"). */
bool broker_is_host(const char *host);

/* Ask who is in the chat: here follows for each that answers. */
void broker_roll_call(broker *b);
/* We are in the chat now: answer every roll call. */
void broker_joined(broker *b);

/* Open a stream to the node at host "~ID": up or fail follows.  NULL if not. */
conn *broker_dial(broker *b, const char *host, const conn_handlers *h, void *data);
/* The stream that open announced (reading not started), or NULL. */
conn *broker_take(broker *b, const conn_handlers *h, void *data);

/* Close the connection: every stream fails first. */
void broker_free(broker *b);

/*
 * Whether broker mode can run here: NULL, or why not (librabbitmq is
 * loaded at the first call: amqp_lib.h).  Before broker_url_ok.
 */
const char *broker_lib_error(void);
/* Whether url is one broker_new can parse (for the command line). */
bool broker_url_ok(const char *url);

#endif
