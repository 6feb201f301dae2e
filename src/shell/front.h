/*
 * front — a front end as the runner sees it: the terminal, the IRC
 * gateway, a chatterbox (src/front/NAME).  Each is a plug-in.  The caller
 * of run_node names the front ends it wants by their makers (front_plug);
 * the runner makes each from what it gives every front end (front_env),
 * then calls every one at the same points of its loop, in the order they
 * were named, without knowing what they are.  A front end reaches the
 * chat only through the core (node.h): it feeds it input (node_input,
 * node_ask, node_guest_*), and reads the stored history with node_recent
 * and node_scan, never the store.
 *
 * The points of the loop, in a pass:
 *
 *	event	  each event of the core (not the answers to a front end's
 *		  own node_ask, which go to its answer callback)
 *	guest	  the core's news about a guest (node_io.guest)
 *	flush	  the pass's batch is on disk: let out what was gathered
 *	turn	  after the flush: the front end's own work (true: leave now)
 *	hold	  the core is busy (stop reading input) or free again
 *	sweep	  every tick: deadlines
 *
 * and at the end: leave (the node leaves in order: say goodbye, before the
 * last batch goes out), stop (give back what was borrowed, such as the
 * terminal's modes: after the last batch, or first thing when the node
 * fails), free.  Any of them may be NULL.
 */
#ifndef CHORUS_FRONT_H
#define CHORUS_FRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "event.h"
#include "node.h"
#include "opts.h"

typedef struct front_env {
	uv_loop_t *loop;
	node *core;
	const node_opts *opts;
	const uint8_t *pass_check; /* the secret's check value (SECRET_CHECK bytes) */
} front_env;

typedef struct front_ops {
	void (*event)(void *self, const event *ev);
	void (*guest)(void *self, int what, const char *nick, const char *arg);
	void (*flush)(void *self);
	bool (*turn)(void *self, uint64_t now);
	void (*hold)(void *self, bool busy);
	void (*sweep)(void *self);
	void (*leave)(void *self);
	void (*stop)(void *self);
	void (*free)(void *self);
} front_ops;

typedef struct front {
	const front_ops *ops;
	void *self;
	unsigned files; /* the most descriptors it holds at once */
} front;

/*
 * A front end's maker, given its plug's arg: 1 with *out filled in, 0 when
 * the options do not ask for it, -1 when it cannot start (it said why on
 * stderr; the node then gives up).
 */
typedef int front_make(void *arg, const front_env *env, front *out);

typedef struct front_plug {
	front_make *make;
	void *arg;
} front_plug;

#endif
