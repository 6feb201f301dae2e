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

#include "gate.h"
#include "ident.h"
#include "net.h"
#include "node.h"
#include "run.h"
#include "secret.h"
#include "store.h"

#define RUN_MAX_PEERS 16 /* remembered members dialled by a restart without --join */

typedef struct runner {
	uv_loop_t *loop;
	const node_opts *opts;
	node *core;
	uint64_t started_ms; /* the wall clock when run_node began */
	net *net;
	store *store;
	gate *gate;         /* the IRC gateway (--irc), or NULL */
	uint8_t pass_check[SECRET_CHECK]; /* the secret's check value, for PASS */
	char *lines;        /* printed lines gathered in this pass, each NUL-ended */
	size_t nlines;
	size_t caplines;
	bool held;          /* input paused: too much of ours in flight */
	node_peer peers[RUN_MAX_PEERS]; /* remembered members, without --join */
	int npeers;
	ident id;           /* the data directory, the identity */
	secret secret;      /* held until a member accepts it (keep_secret) */
	bool keep_secret;   /* the secret is not kept yet: at the first handshake */
	uv_prepare_t prepare;
	uv_timer_t tick;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	int exit_code;
	bool exiting;
} runner;

/* The store cannot take the batch: say why and stop, sending nothing of it. */
void run_store_failed(runner *r);
/* The wall clock, ms since 1970. */
uint64_t run_wall_ms(void);
/* Fill in io's store callbacks (their ctx is the runner). */
void run_store_io(node_io *io);

#endif
