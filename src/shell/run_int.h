/*
 * run_int — what run.c (the loop, the callbacks of the network and the
 * user, setup) and run_store.c (the core's store callbacks) share: the
 * runner.  Only they include it.
 */
#ifndef CHORUS_RUN_INT_H
#define CHORUS_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "broker.h"
#include "failure.h"
#include "front.h"
#include "ident.h"
#include "net.h"
#include "node.h"
#include "run.h"
#include "secret.h"
#include "store.h"

#define RUN_MAX_PEERS 16 /* remembered members dialled by a restart without --join */
#define RUN_MAX_FRONTS 4

typedef struct runner {
	uv_loop_t *loop;
	const node_opts *opts;
	node *core;
	uint64_t started_ms; /* the wall clock when run_node began */
	net *net;
	broker *broker;     /* --broker, or NULL */
	bool roll_answered; /* broker: we answer every roll call (in the chat) */
	store *store;
	const front_plug *plugs; /* the front ends asked for */
	int nplugs;
	front fronts[RUN_MAX_FRONTS]; /* those made, in that order */
	int nfronts;
	uint8_t pass_check[SECRET_CHECK]; /* the secret's check value, for PASS */
	bool held;          /* input paused: too much of ours in flight */
	node_peer peers[RUN_MAX_PEERS]; /* remembered members, without --join */
	int npeers;
	ident id;           /* the data directory, the identity */
	secret secret;      /* held until a member accepts it (keep_secret) */
	bool keep_secret;   /* the secret is not kept yet: at the first handshake */
	uv_prepare_t prepare;
	uv_timer_t tick;
	uv_timer_t wake; /* node_wake_at: a pass of the loop then, for its flush */
	uv_signal_t sigint;
	uv_signal_t sigterm;
	failure fail;       /* why a step of the start failed */
	int exit_code;
	bool exiting;
} runner;

/* Every front end made, in order. */
#define RUN_EACH_FRONT(r, f) for (front *f = (r)->fronts; f < (r)->fronts + (r)->nfronts; f++)

/*
 * The node cannot go on: give back what the front ends borrowed (the
 * terminal), say why on stderr (unless fmt is NULL: it was said) and exit
 * with code.  Nothing of the current batch leaves the process.
 */
void run_fatal(runner *r, int code, const char *fmt, ...);
/* The store cannot take the batch: say why and stop, sending nothing of it. */
void run_store_failed(runner *r);
/* The wall clock, ms since 1970. */
uint64_t run_wall_ms(void);
/* Fill in io's store callbacks (their ctx is the runner). */
void run_store_io(node_io *io);
/* The core's clock: the loop's, sampled once per pass. */
uint64_t run_now(runner *r);
/* An event for the front ends (the core's io.event; ctx is the runner). */
void run_event(void *ctx, const event *ev);
/*
 * --broker (run_broker.c): start connecting, the chat's exchanges named
 * from its key psk; the core is held until the connection is made.
 * Nothing without --broker.
 */
void run_start_broker(runner *r, const uint8_t psk[SEAL_KEY]);

#endif
