/*
 * bnode — the broker shell of a simulated node (broker mode, c->broker):
 * what src/shell/broker.c, broker_stream.c and net.c do for a node on a
 * broker, on the fake broker (simbroker.h) instead of RabbitMQ.
 *
 *  - The connection: made at the start, and again with backoff (0.1 s
 *    doubling to 2 s) whenever it fails or is lost; while it is down the
 *    core's join is held (node_hold_join).  Its queue is the node's ID
 *    (16 hex digits, new each life, kept across reconnections).
 *  - The roll call (roll.h's rules): called on every connection made and,
 *    once joined, every ROLL_AGAIN_MS; a call answered becomes a seed
 *    (node_add_seed); a node still joining that does not answer a caller
 *    calls again itself (roll_calls_again), once for all the calls it
 *    read together (those delivered at one virtual time).
 *  - Streams: each link is a stream of messages (open, data, close) with
 *    a correlation id "ID.N".  The framer (net_seal) is modelled by its
 *    effect: each data message carries the sender's counter, and one that
 *    is not the next the receiver expects fails the stream, as a failed
 *    decrypt does (it closes, and the peer is told); a stream starts with a
 *    handshake (HELLO each way, then CONFIRM each way) before the core
 *    sees it up.  Data for a stream the receiver does not know is answered
 *    with close; a close fails its stream; a return (the peer's queue is
 *    gone) fails every stream to that peer.  Losing the connection fails
 *    every stream.
 *
 * cluster.c calls in here in broker mode: the io callbacks, the
 * broker's deliveries, the roll-call timer, and the node's deaths.
 */
#ifndef SIM_BNODE_H
#define SIM_BNODE_H

#include "cluster.h"
#include "simbroker.h"

#define BNODE_PORT 1 /* the port of a broker address, as the shell's BROKER_PORT */

/* A new life of sn: a fresh ID, its connection started.  Before the core's start. */
void bnode_start(simnode *sn);
/* sn's address: "~ID". */
const char *bnode_host(const simnode *sn);
/* The process of sn is gone (crashed, or exited: rst). */
void bnode_gone(simnode *sn, bool rst);
void bnode_free(simnode *sn);

/* The io callbacks of a node on the broker. */
uint32_t bnode_connect(simnode *sn, const char *host, uint16_t port);
void bnode_send(simnode *sn, uint32_t link, const uint8_t *frame, size_t len);
void bnode_close(simnode *sn, uint32_t link);
/* After every core call (cluster_after_call): joined now? */
void bnode_after(simnode *sn);

/* One delivery of the broker. */
void bnode_deliver(cluster *c, const sb_delivery *d);
/* The earliest roll-call timer of a node that runs, or UINT64_MAX. */
uint64_t bnode_next(cluster *c);
/* Fire the timers due at c->now. */
void bnode_tick(cluster *c);
/* After the deliveries due at c->now (a read pass): the calls asked for. */
void bnode_flush(cluster *c);

#endif
