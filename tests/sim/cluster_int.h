/*
 * cluster_int — what the cluster's own files (cluster.c, observe.c,
 * input.c) share, and nothing outside them needs.
 */
#ifndef SIM_CLUSTER_INT_H
#define SIM_CLUSTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

/*
 * After every core call: end the batch (the shell does so once per loop
 * pass), then tear the node down if it asked to exit.
 */
void cluster_after_call(simnode *sn);
/* Hash (FNV-1a) what node idx printed or was delivered into *h. */
void cluster_hash(uint64_t *h, int idx, const void *p, size_t len);
/*
 * Point io's event, log, exit, guest and store_put callbacks at observe.c
 * (after memstore_io: its store_put is replaced by one that also checks).
 */
void observe_io(node_io *io);
/*
 * A whole frame (header included) arrived at sn on link: traced, learnt
 * from, hashed, and given to the core (the caller ends the call).
 */
void cluster_frame_in(simnode *sn, uint32_t link, const uint8_t *frame, size_t len);

#endif
