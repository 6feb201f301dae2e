/*
 * run_store — the core's store callbacks (node_io's store_*), carried out
 * on the runner's store: the writes join the loop pass's transaction (run.c
 * commits it), and any write or read that fails stops the node, sending
 * nothing of the batch (run_store_failed).
 */
#include "run_int.h"

static void
io_store_put(void *ctx, const hist_rec *rec)
{
	runner *r = ctx;

	if (store_put(r->store, rec) != 0)
		run_store_failed(r);
}

static void
io_store_peer(void *ctx, const node_peer *p)
{
	runner *r = ctx;

	if (store_put_peer(r->store, p, run_wall_ms()) != 0)
		run_store_failed(r);
}

static void
io_store_sig(void *ctx, const hist_sig *sig)
{
	runner *r = ctx;

	if (store_put_sig(r->store, sig) != 0)
		run_store_failed(r);
}

static int
io_store_sig_at(void *ctx, uint64_t sender, uint64_t seq, hist_sig *out)
{
	runner *r = ctx;
	int found = store_sig_at(r->store, sender, seq, out);

	if (found < 0)
		run_store_failed(r);
	return found;
}

static void
io_store_mark(void *ctx, uint64_t hlc, uint64_t sender)
{
	runner *r = ctx;

	if (store_set_mark(r->store, hlc, sender) != 0)
		run_store_failed(r);
}

static void
io_store_inc(void *ctx, uint64_t inc)
{
	runner *r = ctx;

	if (store_set_inc(r->store, inc) != 0)
		run_store_failed(r);
}

/* Reads: one that fails (an I/O error, damage) stops the node like a write. */
static int
io_store_range(void *ctx, uint64_t sender, uint64_t from, int max, hist_visit *fn, void *arg)
{
	runner *r = ctx;
	int n = store_range(r->store, sender, from, max, fn, arg);

	if (n < 0)
		run_store_failed(r);
	return n;
}

static int
io_store_recent(void *ctx, int n, hist_visit *fn, void *arg)
{
	runner *r = ctx;
	int got = store_recent(r->store, n, fn, arg);

	if (got < 0)
		run_store_failed(r);
	return got;
}

static int
io_store_scan(void *ctx, hist_visit *fn, void *arg)
{
	runner *r = ctx;
	int n = store_scan(r->store, fn, arg);

	if (n < 0)
		run_store_failed(r);
	return n;
}

static void
io_store_pending(void *ctx, const hist_rec *rec)
{
	runner *r = ctx;

	if (store_pending(r->store, rec) != 0)
		run_store_failed(r);
}

static void
io_store_pending_clear(void *ctx)
{
	runner *r = ctx;

	if (store_pending_clear(r->store) != 0)
		run_store_failed(r);
}

static int
io_store_pending_scan(void *ctx, hist_visit *fn, void *arg)
{
	runner *r = ctx;
	int n = store_pending_scan(r->store, fn, arg);

	if (n < 0)
		run_store_failed(r);
	return n;
}

void
run_store_io(node_io *io)
{
	io->store_put = io_store_put;
	io->store_peer = io_store_peer;
	io->store_sig = io_store_sig;
	io->store_sig_at = io_store_sig_at;
	io->store_mark = io_store_mark;
	io->store_inc = io_store_inc;
	io->store_range = io_store_range;
	io->store_recent = io_store_recent;
	io->store_scan = io_store_scan;
	io->store_pending = io_store_pending;
	io->store_pending_clear = io_store_pending_clear;
	io->store_pending_scan = io_store_pending_scan;
}
