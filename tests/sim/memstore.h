/*
 * memstore — a simulated node's durable store: the records, the mark and the
 * members that the core hands to store_put, store_mark and store_peer, kept
 * across crashes and restarts of that node (what survives a crash is
 * exactly what the core stored, as with a committed SQLite batch).
 *
 * Records are kept in history order.  For the invariant checks, the store
 * also remembers the history key of each typed line ("m<k>") it holds.
 */
#ifndef SIM_MEMSTORE_H
#define SIM_MEMSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"
#include "node.h"

#define MEMSTORE_LINES 4096
#define MEMSTORE_PEERS 8

typedef struct memrec {
	hist_rec r;        /* text owned */
} memrec;

typedef struct memstore {
	memrec *v;
	int len;
	int cap;
	uint64_t mark_hlc;
	uint64_t mark_sender;
	uint64_t inc;       /* store_inc: the incarnation last told */
	bool has[MEMSTORE_LINES];     /* line k is held */
	uint64_t key_hlc[MEMSTORE_LINES];
	uint64_t key_sender[MEMSTORE_LINES];
	bool twice;                    /* a record was put twice */
	node_peer peers[MEMSTORE_PEERS]; /* remembered members, latest first */
	int npeers;
	hist_sig *sigs;                /* signed chain heads, as stored */
	int nsigs;
	int capsigs;
	hist_rec *pending;             /* lines typed, not sent yet (texts owned) */
	int npending;
	int cappending;
} memstore;

void memstore_free(memstore *s);
void memstore_put(memstore *s, const hist_rec *r);
int memstore_range(memstore *s, uint64_t sender, uint64_t from, int max, hist_visit *fn,
		   void *arg);
int memstore_recent(memstore *s, int n, hist_visit *fn, void *arg);
int memstore_scan(memstore *s, hist_visit *fn, void *arg);
/* Remember a member (store_peer): it moves to the front. */
void memstore_peer(memstore *s, const node_peer *p);
void memstore_sig(memstore *s, const hist_sig *sig);
/* The first signature of sender at or after seq: 1 and *out, or 0. */
int memstore_sig_at(memstore *s, uint64_t sender, uint64_t seq, hist_sig *out);
/*
 * Point io's store callbacks (and pending: nothing is ever queued) at a
 * memstore.  io->ctx must point to a struct whose first member is the
 * memstore (or to the memstore itself).
 */
void memstore_io(node_io *io);

/* The line number of a text "m<k>", or -1. */
int memstore_line(const char *text, size_t len);

#endif
