/*
 * run — a node's life: open its data, start the loop, feed the core.
 */
#ifndef CHORUS_RUN_H
#define CHORUS_RUN_H

#include "front.h"
#include "opts.h"

/*
 * Run a node until it leaves, with the front ends plugs names (in this
 * order: front.h); returns the process exit code.
 */
int run_node(const node_opts *o, const front_plug *plugs, int nplugs);

#endif
