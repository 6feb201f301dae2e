/*
 * node — the entry points of the protocol core that change the node (each
 * checks its invariants after its work), its life cycle, timers and the
 * end of a batch; node_query.c answers node.h's questions.  See node.h
 * for the contract, node_int.h for the phases.
 */
#include "node_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* --- output helpers ---------------------------------------------------- */

void
node_log(node *n, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	n->io.log(n->io.ctx, level, line);
}

void
node_emit(node *n, event_kind kind, const char *nick, const char *text)
{
	event ev = {.kind = kind, .nick = nick, .text = text,
		    .text_len = text ? strlen(text) : 0};

	node_event(n, &ev);
}

/* --- the entry points -------------------------------------------------- */

static void tick(node *n, uint64_t now);
static void leave(node *n, uint64_t now);

node *
node_create(const node_config *cfg, const node_io *io)
{
	node *n = xcalloc(1, sizeof *n);

	n->cfg = *cfg;
	n->io = *io;
	snprintf(n->nick, sizeof n->nick, "%s", cfg->nick);
	snprintf(n->host, sizeof n->host, "%s", cfg->host);
	n->cfg.nick = n->nick;
	n->cfg.host = n->host;
	n->cfg.seeds = NULL;
	n->cfg.peers = NULL; /* a copy, until node_start has dialled them */
	if (cfg->npeers > 0) {
		node_peer *p = xmalloc((size_t)cfg->npeers * sizeof *p);
		memcpy(p, cfg->peers, (size_t)cfg->npeers * sizeof *p);
		n->cfg.peers = p;
	}
	node_hist_keys(n, cfg->sign_pk, cfg->sign_sk);
	n->cfg.sign_pk = node_hist_pk(n);
	n->cfg.sign_sk = NULL;
	n->msg = xmalloc(sizeof *n->msg);
	n->gossip = xmalloc(sizeof *n->gossip);
	n->hb = xmalloc(sizeof *n->hb);
	n->reports.msg = xmalloc(sizeof *n->reports.msg);
	member_add_self(&n->members, cfg->id, cfg->inc > cfg->last_inc ? cfg->inc : cfg->last_inc + 1,
			n->nick, n->host, cfg->port);
	node_link_seeds(n, cfg);
	return n;
}

void
node_start(node *n, uint64_t now)
{
	const node_config *cfg = &n->cfg;

	node_hist_restore(n, now);
	node_set_inc(n, member_self(&n->members)->inc);
	n->started = true;
	n->last_tick = now;
	n->phase = node_link_has_seeds(n) && !cfg->seeds_are_peers ? PHASE_PROBE : PHASE_JOINING;
	n->join_deadline = now + (cfg->npeers || cfg->seeds_are_peers ? cfg->timeout_ms : 0);
	node_member_recall(n, cfg, now);
	free((void *)n->cfg.peers);
	n->cfg.peers = NULL;
	n->cfg.npeers = 0;
	node_settle(n, now);
	tick(n, now);
	assert_node_state(n);
}

node *
node_new(const node_config *cfg, const node_io *io, uint64_t now)
{
	node *n = node_create(cfg, io);

	node_start(n, now);
	return n;
}

void
node_free(node *n)
{
	if (n == NULL)
		return;
	free((void *)n->cfg.peers); /* not started */
	node_hist_free(n);
	node_report_free(n);
	member_table_free(&n->members);
	wire_buf_free(&n->out);
	node_link_free(n);
	free(n->msg);
	free(n->gossip);
	free(n->hb);
	free(n);
}

/* What l's peer was not told of our vector, in as many heartbeats as it takes. */
static void
heartbeat_on(node *n, peer_link *l)
{
	do {
		node_sync_vector(n, l, n->hb);
		node_send(n, l->id, n->hb);
	} while (n->hb->u.heartbeat.more);
}

uint64_t
node_digest(node *n)
{
	if (n->digest_gen != n->members.gen + 1) {
		n->digest = member_digest(&n->members);
		n->digest_gen = n->members.gen + 1;
	}
	return n->digest;
}

/* What every heartbeat of this moment says: the member digest, the clock. */
static void
start_heartbeat(node *n, uint64_t now)
{
	n->hb->type = WIRE_HEARTBEAT;
	n->hb->u.heartbeat.digest = node_digest(n);
	node_sync_heartbeat(n, now, n->hb);
}

void
node_send_heartbeat(node *n, uint64_t now, uint32_t to)
{
	peer_link *l;

	start_heartbeat(n, now);
	if (to) {
		if ((l = node_link(n, to)) != NULL)
			heartbeat_on(n, l);
		return;
	}
	for (int i = 1; i < n->members.len; i++)
		if ((l = node_link_to(n, n->members.v[i].id)) != NULL)
			heartbeat_on(n, l);
}

/* Our heartbeat to the members due one this period (node_beat.c). */
static void
heartbeat(node *n, uint64_t now)
{
	peer_link *l;

	if (now < n->next_heartbeat)
		return;
	n->next_heartbeat = now + n->cfg.heartbeat_ms;
	node_beat_plan(n, now);
	start_heartbeat(n, now);
	for (int i = 1; i < n->members.len; i++) {
		member *m = &n->members.v[i];
		if (node_beat_due(n, m, now) && (l = node_link_to(n, m->id)) != NULL) {
			heartbeat_on(n, l);
			m->beat_at = now;
		}
	}
}

static void
tick(node *n, uint64_t now)
{
	if (n->phase == PHASE_DONE)
		return;
	/*
	 * A gap longer than the timeout means this process was stalled (a
	 * SIGSTOP, a swapped-out machine), not that everyone else was: give
	 * the peers a fresh timeout before judging them.
	 */
	uint64_t gap = now - n->last_tick;
	if (gap > n->cfg.timeout_ms) {
		node_log(n, NODE_LOG_VERBOSE, "stalled for %llu ms", (unsigned long long)gap);
		for (int i = 1; i < n->members.len; i++)
			if (n->members.v[i].state == MEMBER_ALIVE)
				n->members.v[i].last_heard = now;
	}
	/*
	 * A shorter delay, Lifeguard's lesson: a tick that comes late means
	 * our own loop was slow (a starved CPU), and what the members sent
	 * meanwhile may still wait unread in the sockets (timers run before
	 * the loop reads): this tick allows them that much more silence.
	 */
	n->tick_late = gap > node_tick_ms(n) && gap <= n->cfg.timeout_ms ? gap - node_tick_ms(n) : 0;
	n->last_tick = now;
	if (n->leaving) {
		leave(n, now);
		if (n->phase == PHASE_DONE)
			return;
	}
	node_member_detect(n, now);
	node_expire_links(n, now);
	heartbeat(n, now);
	node_sync_tick(n, now);
	if (n->phase == PHASE_PROBE || n->cfg.seeds_are_peers)
		node_dial_seeds(n, now);
	if (n->phase != PHASE_PROBE)
		node_dial_members(n, now);
	node_settle(n, now);
}

static void
link_up(node *n, uint64_t now, uint32_t id, bool outgoing, const char *remote_host,
	const uint8_t *binding)
{
	if (n->phase == PHASE_DONE)
		return;
	node_greet(n, node_link_opened(n, now, id, outgoing, remote_host, binding));
}

static void
link_down(node *n, uint64_t now, uint32_t id, const char *why)
{
	peer_link *l = node_link(n, id);

	if (l == NULL || n->phase == PHASE_DONE)
		return;
	node_log(n, NODE_LOG_VERBOSE, "link %u down: %s", id, why);
	node_link_gone(n, l, now, why);
	node_settle(n, now);
}

static void
frame(node *n, uint64_t now, uint32_t id, const uint8_t *body, size_t len)
{
	peer_link *l = node_link(n, id);
	int rc;

	if (l == NULL || n->phase == PHASE_DONE)
		return;
	rc = wire_decode(body, len, n->msg);
	if (rc < 0) {
		node_log(n, NODE_LOG_ALWAYS, "dropping link from %s: %s", l->host,
			 wire_strerror(rc));
		node_close_link(n, l);
		return;
	}
	node_dispatch(n, now, l, n->msg);
	if (n->phase != PHASE_DONE)
		node_settle(n, now);
}

static void
leave(node *n, uint64_t now)
{
	wire_msg bye = {.type = WIRE_LEAVE};

	if (n->phase == PHASE_DONE)
		return;
	if (!n->leaving)
		node_guest_part_all(n, now); /* once: a node still here after it is leaving */
	/* Lines typed before the chat let us send go out first. */
	if (node_hist_queued(n) > 0 && n->phase != PHASE_PROBE) {
		if (!n->leaving) {
			n->leaving = true;
			n->leave_deadline = now + 2ull * n->cfg.timeout_ms;
		}
		if (now < n->leave_deadline)
			return;
		node_log(n, NODE_LOG_ALWAYS, "leaving with %d line(s) not sent yet: kept, sent when this "
			 "node is next in the chat", node_hist_queued(n));
	}
	if (n->phase != PHASE_PROBE) {
		node_sign_own(n); /* what we sent last must be provable after we go */
		bye.u.leave.inc = member_self(&n->members)->inc;
		node_broadcast(n, &bye);
	}
	if (node_in_chat(n))
		node_emit(n, EVENT_LEAVE, n->nick, NULL);
	node_finish(n, CHORUS_EXIT_LEFT);
}

/* The end of a batch (node_flush). */
static void
flush(node *n, uint64_t now)
{
	if (n->phase == PHASE_DONE)
		return;
	node_hist_check_ready(n, now);
	node_mod_flush(n, now);
	if (n->phase == PHASE_DONE)
		return;
	node_sign_own(n);
	if (n->leaving && node_hist_queued(n) == 0) {
		leave(n, now);
		return;
	}
	node_report_due(n, now);
	node_relay_flush(n, now);
	node_show_stable(n, now);
	node_guest_hosts(n, now);
	if (node_show_vector_due(n))
		node_send_heartbeat(n, now, 0);
	node_sync_serve(n);
}

/*
 * The entry points of node.h that change the node: each does its work,
 * then checks the invariants (node_check.c).
 */

void
node_tick(node *n, uint64_t now)
{
	tick(n, now);
	assert_node_state(n);
}

void
node_link_up(node *n, uint64_t now, uint32_t id, bool outgoing, const char *remote_host,
	     const uint8_t *binding)
{
	link_up(n, now, id, outgoing, remote_host, binding);
	assert_node_state(n);
}

void
node_link_down(node *n, uint64_t now, uint32_t id, const char *why)
{
	link_down(n, now, id, why);
	assert_node_state(n);
}

void
node_frame(node *n, uint64_t now, uint32_t id, const uint8_t *body, size_t len)
{
	frame(n, now, id, body, len);
	assert_node_state(n);
}

void
node_input(node *n, uint64_t now, const char *line, size_t len)
{
	node_cmd_input(n, now, line, len);
	assert_node_state(n);
}

void
node_ask(node *n, uint64_t now, const char *line, size_t len, node_answer_fn *answer, void *arg)
{
	node_cmd_ask(n, now, line, len, answer, arg);
	assert_node_state(n);
}

void
node_add_seed(node *n, uint64_t now, const char *host, uint16_t port)
{
	if (!n->cfg.seeds_are_peers || n->phase == PHASE_DONE ||
	    !node_link_add_seed(n, host, port))
		return;
	node_dial_seeds(n, now);
	assert_node_state(n);
}

void
node_hold_join(node *n, uint64_t now, bool held)
{
	if (n->join_held && !held && n->started)
		n->join_deadline = now + n->cfg.timeout_ms;
	n->join_held = held;
	if (n->started)
		node_settle(n, now);
	assert_node_state(n);
}

void
node_raise_inc(node *n, uint64_t above)
{
	member *self = member_self(&n->members);

	if (n->phase != PHASE_JOINING || above == UINT64_MAX || self->inc > above || n->inc_told)
		return;
	node_log(n, NODE_LOG_VERBOSE, "incarnation %llu, past what a roll call's answer knows",
		 (unsigned long long)above + 1);
	node_set_inc(n, above + 1);
	assert_node_state(n);
}

uint64_t
node_top_inc(const node *n)
{
	uint64_t top = 0;

	for (int i = 0; i < n->members.len; i++)
		if (n->members.v[i].inc > top)
			top = n->members.v[i].inc;
	return top;
}

void
node_leave(node *n, uint64_t now)
{
	leave(n, now);
	assert_node_state(n);
}

void
node_flush(node *n, uint64_t now)
{
	flush(n, now);
	assert_node_state(n);
}

uint64_t
node_wake_at(const node *n)
{
	return n->phase == PHASE_DONE ? 0 : node_report_wake_at(n);
}

int
node_guest_join(node *n, uint64_t now, const char *nick, uint64_t *since)
{
	int rc = node_guest_do_join(n, now, nick, since);

	assert_node_state(n);
	return rc;
}

int
node_guest_say(node *n, uint64_t now, const char *nick, const char *tag, size_t tag_len,
	       const char *line, size_t len)
{
	int rc = node_guest_do_say(n, now, nick, tag, tag_len, line, len);

	assert_node_state(n);
	return rc;
}

void
node_guest_part(node *n, uint64_t now, const char *nick, const char *why)
{
	node_guest_do_part(n, now, nick, why);
	assert_node_state(n);
}
