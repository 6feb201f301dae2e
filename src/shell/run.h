/*
 * run — a node's life: open its data, start the loop, feed the core.
 */
#ifndef CHORUS_RUN_H
#define CHORUS_RUN_H

#include "opts.h"

/* Run a node until it leaves; returns the process exit code. */
int run_node(const node_opts *o);

#endif
