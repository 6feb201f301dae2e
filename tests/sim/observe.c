/*
 * observe — what a simulated node reports, taken in and judged as it comes.
 *
 * The node_io callbacks through which a core shows its lines (event), logs,
 * exits, tells of its guest and stores records.  Each line shown is hashed
 * into the cluster's events_hash and held to the invariants that are judged
 * as lines appear (check.h lists them): the announce sequence, every chat
 * line from its author, once, in order, and nothing the insider forged
 * taking effect.  The cluster (cluster.c) hosts the nodes; this file only
 * watches them.
 */
#include <stdio.h>
#include <string.h>

#include "cluster_int.h"
#include "event.h"

/* Check the announce sequence: [JOIN] self, [USERS], [LEADER]. */
static void
check_announce(simnode *sn, const event *ev)
{
	static const event_kind want[3] = {EVENT_JOIN, EVENT_USERS, EVENT_LEADER};

	if (sn->nevents >= 3)
		return;
	if (ev->kind != want[sn->nevents] ||
	    (sn->nevents == 0 && strcmp(ev->nick, sn->nick) != 0))
		cluster_fail(sn->c, "n%d: event %d of its life is not [JOIN] self, [USERS], [LEADER]",
			     sn->idx, sn->nevents + 1);
}

/*
 * A chat line shown: from its author, never twice on one node (over all its
 * lives), in each sender's order, and in history order unless it is shown
 * [LATE] -- which it must then deserve.
 */
static void
count_message(simnode *sn, const event *ev)
{
	cluster *c = sn->c;
	int k = memstore_line(ev->text, ev->text_len);
	const memstore *st = &sn->store;

	if (k < 0 || k >= c->nlines)
		return;
	const char *author = c->lines[k].guest ? c->lines[k].nick : c->nodes[c->lines[k].from].nick;
	if (strcmp(ev->nick, author) != 0)
		cluster_fail(c, "n%d showed line m%d from %s, typed by %s", sn->idx, k, ev->nick,
			     author);
	if (!st->has[k])
		cluster_fail(c, "(1) n%d showed m%d before storing it", sn->idx, k);
	if (++sn->got[k] > 1 || ++sn->shown_ever[k] > 1)
		cluster_fail(c, "(2) n%d showed line m%d twice", sn->idx, k);
	/* Lines are numbered as typed: a sender's own order is increasing. */
	int *last = &sn->last_shown[c->lines[k].from];
	if (k < *last)
		cluster_fail(c, "(3) n%d showed m%d after m%d, both from n%d", sn->idx, k, *last,
			     c->lines[k].from);
	*last = k;
	int cmp = hist_cmp(st->key_hlc[k], st->key_sender[k], sn->shown_hlc, sn->shown_sender);
	if (ev->kind == EVENT_LATE) {
		uint64_t h, s;
		sn->lates++;
		if (c->lines[k].checked || !c->faults)
			cluster_fail(c, "(3) n%d showed m%d late, with no partition to excuse it",
				     sn->idx, k);
		/* Late against what it showed, or passed over (a silenced member's). */
		node_shown_key(sn->core, &h, &s);
		if (hist_cmp(st->key_hlc[k], st->key_sender[k], h, s) > 0)
			cluster_fail(c, "(3) n%d showed m%d as late, but it is in its place", sn->idx, k);
		return;
	}
	if (cmp <= 0)
		cluster_fail(c, "(3) n%d showed m%d out of history order", sn->idx, k);
	sn->shown_hlc = st->key_hlc[k];
	sn->shown_sender = st->key_sender[k];
	if (c->now > c->lines[k].shown_at)
		c->lines[k].shown_at = c->now;
}

/* A guest here was renamed (a clash) or removed. */
static void
io_guest(void *ctx, int what, const char *nick, const char *arg)
{
	simnode *sn = ctx;

	cluster_trace(sn->c, "n%d's guest %s %s %s", sn->idx, nick,
		      what == NODE_GUEST_RENAMED ? "is renamed" : "is removed by", arg);
	if (!nick_same(sn->guest, nick))
		cluster_fail(sn->c, "n%d: a notice for guest %s, but its guest is %s", sn->idx,
			     nick, sn->guest);
	if (what == NODE_GUEST_RENAMED) {
		snprintf(sn->guest, sizeof sn->guest, "%s", arg);
		sn->c->renames++;
	}
	else
		sn->guest[0] = '\0';
}

/* Nothing the insider forged takes effect: checked on every line shown. */
static void
check_forgery(simnode *sn, const event *ev, const char *line)
{
	cluster *c = sn->c;

	if (c->insider < 0)
		return;
	const simnode *in = &c->nodes[c->insider];
	if (ev->kind == EVENT_LEADER && nick_same(ev->nick, in->nick))
		c->insider_led = true;
	if ((ev->kind == EVENT_MESSAGE || ev->kind == EVENT_HISTORY || ev->kind == EVENT_LATE) &&
	    ev->text_len >= 7 && memcmp(ev->text, "forged ", 7) == 0)
		cluster_fail(c, "(8) n%d showed a line under a false nick: %s", sn->idx, line);
	const char *by = ev->kind == EVENT_MOD ? strstr(line, " by ") : NULL;
	if (by && nick_same(by + 4, in->nick) && !c->insider_led)
		cluster_fail(c, "(8) n%d let a directive of n%d, never the leader, count: %s",
			     sn->idx, c->insider, line);
}

/*
 * A [LOST] of a node that runs, unstalled: false unless a fault explains
 * it (the large mode's quiet period has none: large.c counts these).
 */
static void
note_lost(simnode *sn, const char *nick)
{
	cluster *c = sn->c;

	for (int j = 0; j < c->n; j++) {
		if (!nick_same(c->nodes[j].nick, nick) || !cluster_alive(c, j) ||
		    c->nodes[j].stalled)
			continue;
		if (c->lost_live++ == 0)
			snprintf(c->first_lost, sizeof c->first_lost,
				 "n%d printed [LOST] n%d (alive) at %.3f s", sn->idx, j,
				 (double)(c->now - SIM_T0) / 1000);
		return;
	}
}

static void
io_event(void *ctx, const event *ev)
{
	simnode *sn = ctx;
	cluster *c = sn->c;
	static char line[EVENT_LINE_MAX];

	event_format(ev, line, sizeof line);
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			cluster_fail(c, "n%d printed a control byte: %s", sn->idx, line);
	cluster_trace(c, "n%d | %s", sn->idx, line);
	cluster_hash(&c->events_hash, sn->idx, line, strlen(line));
	/* An [ERROR] or [PENDING] answers what was typed, whenever it was typed. */
	if (ev->kind == EVENT_ERROR || ev->kind == EVENT_PENDING)
		return;
	check_announce(sn, ev);
	sn->nevents++;
	if (ev->kind == EVENT_LEADER)
		snprintf(sn->leader, sizeof sn->leader, "%s", ev->nick);
	if (ev->kind == EVENT_LOST)
		note_lost(sn, ev->nick);
	check_forgery(sn, ev, line);
	if (ev->kind == EVENT_MESSAGE || ev->kind == EVENT_HISTORY || ev->kind == EVENT_LATE)
		count_message(sn, ev);
	/* A directive shown in its place moves the node's place in history too. */
	if (ev->kind == EVENT_MOD && !ev->late) {
		if (hist_cmp(ev->hlc, ev->sender, sn->shown_hlc, sn->shown_sender) <= 0)
			cluster_fail(c, "(3) n%d showed a directive out of history order", sn->idx);
		sn->shown_hlc = ev->hlc;
		sn->shown_sender = ev->sender;
	}
}

static void
io_log(void *ctx, int level, const char *line)
{
	simnode *sn = ctx;

	(void)level;
	cluster_trace(sn->c, "n%d log: %s", sn->idx, line);
}

static void
io_exit(void *ctx, int code)
{
	simnode *sn = ctx;

	cluster_trace(sn->c, "n%d exits with code %d", sn->idx, code);
	if (code < 0 || code > 3 || sn->exiting) {
		cluster_fail(sn->c, "n%d: exit(%d) unexpected", sn->idx, code);
		return;
	}
	sn->exits[code]++;
	sn->exiting = true;
}

/* Stored as given, and never twice: that is invariant (2). */
static void
io_store_put(void *ctx, const hist_rec *r)
{
	simnode *sn = ctx;

	memstore_put(&sn->store, r);
	if (sn->store.twice)
		cluster_fail(sn->c, "(2) n%d stored record %llu of %016llx twice", sn->idx,
			     (unsigned long long)r->seq, (unsigned long long)r->sender);
}

void
observe_io(node_io *io)
{
	io->event = io_event;
	io->log = io_log;
	io->exit = io_exit;
	io->guest = io_guest;
	io->store_put = io_store_put;
}
