/* cluster — see cluster.h. */
#include "cluster.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "mod.h"
#include "wire.h"

/* The core's own record writer (node_int.h), called as a forger would. */
void node_submit_as(node *n, uint64_t now, int kind, const char *nick, const char *text,
		    size_t len);
void node_submit_stamped(node *n, uint64_t now, uint64_t hlc, const char *text, size_t len);

static const char *const names[SIM_MAX_NODES] = {"alice", "carol", "dave", "erin", "frank"};

/* --- reporting ------------------------------------------------------------ */

static void
vtrace(cluster *c, const char *fmt, va_list ap)
{
	printf("%9.3f ", (double)(c->now - SIM_T0) / 1000);
	vprintf(fmt, ap);
	putchar('\n');
}

void
cluster_trace(cluster *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	va_start(ap, fmt);
	vtrace(c, fmt, ap);
	va_end(ap);
}

void
cluster_fail(cluster *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	cluster_trace(c, "VIOLATION: %s", c->why);
}

/* --- the io callbacks ------------------------------------------------------ */

static uint32_t
io_connect(void *ctx, const char *host, uint16_t port)
{
	simnode *sn = ctx;
	cluster *c = sn->c;
	uint32_t id = simnet_connect(c->net, sn->idx, host, port, c->now);

	cluster_trace(c, "n%d connect %s:%u (link %u)", sn->idx, host, port, id);
	return id;
}

static void
trace_frame(cluster *c, const char *what, int who, uint32_t link, const uint8_t *body,
	    size_t len)
{
	static wire_msg m;
	char detail[96] = "";

	if (!c->verbose)
		return;
	if (wire_decode(body, len, &m) < 0) {
		cluster_trace(c, "n%d %s link %u: undecodable frame", who, what, link);
		return;
	}
	if (m.type == WIRE_HELLO)
		snprintf(detail, sizeof detail, " %.*s id=%016llx inc=%llu",
			 (int)m.u.hello.nick.len, m.u.hello.nick.ptr,
			 (unsigned long long)m.u.hello.id, (unsigned long long)m.u.hello.inc);
	else if (m.type == WIRE_MEMBERS)
		snprintf(detail, sizeof detail, " (%zu entries)", m.u.members.count);
	else if (m.type == WIRE_CHAT)
		snprintf(detail, sizeof detail, " seq=%llu %.*s",
			 (unsigned long long)m.u.chat.seq, (int)m.u.chat.text.len,
			 m.u.chat.text.ptr);
	cluster_trace(c, "n%d %s link %u: %s%s", who, what, link, wire_type_name(m.type),
		      detail);
}

static void
io_send(void *ctx, uint32_t link, const uint8_t *frame, size_t len)
{
	simnode *sn = ctx;
	cluster *c = sn->c;
	size_t flen = 0;

	if (wire_frame_split(frame, len, &flen) != 1 || flen != len) {
		cluster_fail(c, "n%d sent a malformed frame on link %u", sn->idx, link);
		return;
	}
	trace_frame(c, "sends on", sn->idx, link, frame + WIRE_HEADER, len - WIRE_HEADER);
	if (simnet_send(c->net, sn->idx, link, frame, len, c->now) < 0)
		cluster_fail(c, "n%d sent on link %u, which is not up", sn->idx, link);
}

static void
io_close(void *ctx, uint32_t link)
{
	simnode *sn = ctx;
	cluster *c = sn->c;

	cluster_trace(c, "n%d closes link %u", sn->idx, link);
	if (simnet_close(c->net, sn->idx, link, c->now) < 0)
		cluster_fail(c, "n%d closed link %u, which it does not hold", sn->idx, link);
}

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

/* FNV-1a over len bytes, on from h. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
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
	c->events_hash = fnv1a(fnv1a(c->events_hash, &sn->idx, sizeof sn->idx), line, strlen(line));
	/* An [ERROR] or [PENDING] answers what was typed, whenever it was typed. */
	if (ev->kind == EVENT_ERROR || ev->kind == EVENT_PENDING)
		return;
	check_announce(sn, ev);
	sn->nevents++;
	if (ev->kind == EVENT_LEADER)
		snprintf(sn->leader, sizeof sn->leader, "%s", ev->nick);
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

/*
 * After every core call: end the batch (the shell does so once per loop
 * pass), then tear the node down if it asked to exit.
 */
static void
after_call(simnode *sn)
{
	cluster *c = sn->c;

	if (!sn->exiting && sn->core)
		node_flush(sn->core, c->now);
	if (!sn->exiting)
		return;
	sn->exiting = false;
	sn->state = SN_EXITED;
	sn->stalled = false;
	simnet_exit(c->net, sn->idx, c->now);
	simnet_set_running(c->net, sn->idx, false);
	simnet_set_stalled(c->net, sn->idx, false);
	node_free(sn->core);
	sn->core = NULL;
}

/* --- life cycle ------------------------------------------------------------ */

void
cluster_init(cluster *c, uint64_t seed, int n, bool verbose)
{
	*c = (cluster){.seed = seed, .now = SIM_T0, .verbose = verbose, .n = n,
		       .heartbeat_ms = 200, .timeout_ms = 1000, .insider = -1,
		       .events_hash = 0xcbf29ce484222325ull, .frames_hash = 0xcbf29ce484222325ull};
	rng_seed(&c->rng, seed);
	c->net = simnet_new(&c->rng, (unsigned)rng_range(&c->rng, 2, 20));
	for (int i = 0; i < n; i++) {
		simnode *sn = &c->nodes[i];
		sn->c = c;
		sn->idx = i;
		do {
			uint8_t key_seed[32];
			for (int k = 0; k < 4; k++) {
				uint64_t r = rng_next(&c->rng);
				memcpy(key_seed + 8 * k, &r, 8);
			}
			crypto_sign_seed_keypair(sn->pk, sn->sk, key_seed);
			sn->id = sign_id(sn->pk);
		} while (cluster_by_id(c, sn->id) != sn);
		snprintf(sn->nick, sizeof sn->nick, "%s", names[i]);
		snprintf(sn->host, sizeof sn->host, "10.0.0.%d", (i + 1) % 100);
		sn->port = (uint16_t)(7420 + rng_range(&c->rng, 0, 1));
		sn->advertise = rng_chance(&c->rng, 50);
		sn->skew = (int64_t)rng_range(&c->rng, 0, 600) - 300;
		simnet_add_host(c->net, i, sn->host, sn->port);
	}
	/*
	 * Now and then clocks hours apart, within the bound (time zones):
	 * each node's clock up to 11 h ahead of the true time.
	 */
	if (rng_chance(&c->rng, 15))
		for (int i = 0; i < n; i++)
			if (rng_chance(&c->rng, 50))
				c->nodes[i].skew += (int64_t)rng_range(&c->rng, 0, 11 * 3600000);
}

void
cluster_free(cluster *c)
{
	for (int i = 0; i < c->n; i++) {
		node_free(c->nodes[i].core);
		memstore_free(&c->nodes[i].store);
	}
	simnet_free(c->net);
}

simnode *
cluster_by_id(cluster *c, uint64_t id)
{
	for (int i = 0; i < c->n; i++)
		if (c->nodes[i].id == id)
			return &c->nodes[i];
	return NULL;
}

bool
cluster_alive(const cluster *c, int i)
{
	const simnode *sn = &c->nodes[i];

	return sn->state == SN_RUNNING && !node_done(sn->core);
}

bool
cluster_all_announced(const cluster *c)
{
	for (int i = 0; i < c->n; i++) {
		if (c->nodes[i].state == SN_IDLE)
			return false;
		if (cluster_alive(c, i) && !node_announced(c->nodes[i].core))
			return false;
	}
	return true;
}

void
cluster_start(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];
	char addr[SIM_MAX_NODES][32];
	const char *seeds[SIM_MAX_NODES];
	node_io io = {
		.ctx = sn, .connect = io_connect, .send = io_send, .close = io_close,
		.event = io_event, .log = io_log, .exit = io_exit, .guest = io_guest,
	};

	memstore_io(&io); /* the simnode starts with its store */
	io.store_put = io_store_put;
	for (int k = 0; k < sn->nseeds; k++) {
		const simnode *s = &c->nodes[sn->seeds[k]];
		snprintf(addr[k], sizeof addr[k], "%s:%u", s->host, s->port);
		seeds[k] = addr[k];
	}
	node_config cfg = {.id = sn->id, .sign_pk = sn->pk, .sign_sk = sn->sk, .inc = c->now, .nick = sn->nick,
			   .host = sn->advertise ? sn->host : "", .port = sn->port,
			   .seeds = seeds, .nseeds = sn->nseeds,
			   .heartbeat_ms = c->heartbeat_ms, .timeout_ms = c->timeout_ms,
			   .wall_ms = (uint64_t)((int64_t)c->now + sn->skew),
			   .mark_hlc = sn->store.mark_hlc, .mark_sender = sn->store.mark_sender,
			   .peers = sn->store.peers, .npeers = sn->nseeds ? 0 : sn->store.npeers};
	sn->life++;
	sn->nevents = 0;
	sn->leader[0] = '\0';
	memset(sn->got, 0, sizeof sn->got);
	memset(sn->last_shown, 0, sizeof sn->last_shown);
	sn->shown_hlc = sn->store.mark_hlc;
	sn->shown_sender = sn->store.mark_sender;
	memset(sn->known, 0, sizeof sn->known);
	memset(sn->peers, 0, sizeof sn->peers);
	sn->state = SN_RUNNING;
	sn->stalled = sn->powered_off = sn->leaving = false;
	sn->guest[0] = '\0';
	sn->started_at = c->now;
	simnet_set_power(c->net, i, true);
	simnet_set_running(c->net, i, true);
	simnet_set_stalled(c->net, i, false);
	cluster_trace(c, "n%d starts: %s id=%016llx life %d, %d seed(s)%s%s", i, sn->nick,
		      (unsigned long long)sn->id, sn->life, sn->nseeds, sn->nseeds ? " first " : "",
		      sn->nseeds ? addr[0] : "");
	sn->core = node_new(&cfg, &io, c->now);
	sn->next_tick = c->now + node_tick_ms(sn->core);
	after_call(sn);
}

void
cluster_crash(cluster *c, int i, bool rst)
{
	simnode *sn = &c->nodes[i];

	cluster_trace(c, "n%d CRASHES (%s)", i, rst ? "process killed" : "power off");
	node_free(sn->core);
	sn->core = NULL;
	sn->state = SN_CRASHED;
	sn->stalled = false;
	sn->powered_off = !rst;
	simnet_crash(c->net, i, rst, c->now);
	simnet_set_running(c->net, i, false);
	simnet_set_stalled(c->net, i, false);
	if (!rst)
		simnet_set_power(c->net, i, false);
	c->faults = true;
}

void
cluster_stall(cluster *c, int i, bool stalled)
{
	simnode *sn = &c->nodes[i];

	cluster_trace(c, "n%d %s", i, stalled ? "STALLS" : "resumes");
	sn->stalled = stalled;
	simnet_set_stalled(c->net, i, stalled);
	if (!stalled)
		sn->next_tick = c->now; /* overdue timers fire first */
	else
		c->faults = true;
}

int
cluster_type(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];
	char text[16];

	if (!cluster_alive(c, i) || sn->stalled || c->nlines == SIM_MAX_LINES)
		return -1;
	int k = c->nlines++;
	c->lines[k] = (line_rec){.from = i, .life = sn->life};
	int len = snprintf(text, sizeof text, "m%d", k);
	cluster_trace(c, "n%d types \"%s\"", i, text);
	node_input(sn->core, c->now, text, (size_t)len);
	c->lines[k].refused = sn->core && node_is_silenced(sn->core, sn->id);
	after_call(sn);
	return k;
}

/*
 * A directive of the insider's about another node: a silence or unsilence
 * (a removal the scenario cannot follow, should the insider come to lead
 * and its directive count by right; the fold is the same for every
 * operation).  Its voters: every node; or only the insider, or the
 * insider and its target, so that its own word would be a majority.
 */
static size_t
forged_directive(cluster *c, int t, char *text, size_t cap)
{
	mod_directive d = {.op = MOD_SILENCE + (int)rng_range(&c->rng, 0, 1),
			   .target = c->nodes[t].id};
	int voters = (int)rng_range(&c->rng, 0, 2);

	snprintf(d.nick, sizeof d.nick, "%s", c->nodes[t].nick);
	for (int i = 0; i < c->n; i++) {
		if ((voters == 1 && i != c->insider) || (voters == 2 && i != c->insider && i != t))
			continue;
		int k = d.nvoters++;
		for (; k > 0 && d.voters[k - 1] > c->nodes[i].id; k--)
			d.voters[k] = d.voters[k - 1];
		d.voters[k] = c->nodes[i].id;
	}
	return mod_encode(&d, text, cap);
}

void
cluster_insider_act(cluster *c)
{
	simnode *sn = &c->nodes[c->insider];
	int t = (int)rng_range(&c->rng, 0, (uint64_t)c->n - 1);
	char text[64 + NICK_MAX + 17 * SIM_MAX_NODES];

	if (!cluster_alive(c, c->insider) || sn->stalled || !node_announced(sn->core) ||
	    nick_same(c->nodes[t].nick, sn->nick))
		return; /* (a nick that differs only in case is its own) */
	c->forgeries++;
	if (rng_chance(&c->rng, 30)) {
		/* A line stamped a day or more ahead of, or behind, its clock. */
		int64_t off = (int64_t)rng_range(&c->rng, 24, 100) * 3600000 *
			      (rng_chance(&c->rng, 50) ? 1 : -1);
		uint64_t ms = (uint64_t)((int64_t)c->now + sn->skew + off);
		int len = snprintf(text, sizeof text, "stamped %+lld h", (long long)(off / 3600000));
		cluster_trace(c, "n%d writes \"%s\"", c->insider, text);
		node_submit_stamped(sn->core, c->now, ms << HLC_SHIFT, text, (size_t)len);
	} else if (rng_chance(&c->rng, 30) && !(sn->hosted & (1u << t))) {
		/* A line of IRC user "gt", whom this node never hosted. */
		char nick[NICK_MAX + 1];
		int len = snprintf(text, sizeof text, "- forged %d", c->forgeries);
		snprintf(nick, sizeof nick, "g%d", t);
		cluster_trace(c, "n%d forges \"%s\" as guest %s", c->insider, text + 2, nick);
		node_submit_as(sn->core, c->now, HIST_GUEST_CHAT, nick, text, (size_t)len);
	} else if (rng_chance(&c->rng, 50)) {
		int len = snprintf(text, sizeof text, "forged %d", c->forgeries);
		cluster_trace(c, "n%d forges \"%s\" as %s", c->insider, text, c->nodes[t].nick);
		node_submit_as(sn->core, c->now, HIST_CHAT, c->nodes[t].nick, text, (size_t)len);
	} else if (node_leader(sn->core) != sn->id) {
		size_t len = forged_directive(c, t, text, sizeof text);
		cluster_trace(c, "n%d forges a directive: %s", c->insider, text);
		node_submit_as(sn->core, c->now, HIST_DIRECTIVE, NULL, text, len);
	}
	after_call(sn);
}

int
cluster_guest_type(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];
	char text[16];
	uint64_t since;

	if (!cluster_alive(c, i) || sn->stalled || c->nlines == SIM_MAX_LINES ||
	    !node_announced(sn->core))
		return -1;
	if (!sn->guest[0]) {
		int j = rng_chance(&c->rng, 75) ? i : (int)rng_range(&c->rng, 0, (uint64_t)c->n - 1);
		char nick[NICK_MAX + 1];
		snprintf(nick, sizeof nick, "g%d", j);
		int rc = node_guest_join(sn->core, c->now, nick, &since);
		cluster_trace(c, "n%d attaches guest %s: %d", i, nick, rc);
		after_call(sn);
		if (rc != NODE_GUEST_OK || !cluster_alive(c, i))
			return -1;
		c->takeovers += j != i && since != 0;
		sn->hosted |= 1u << j;
		snprintf(sn->guest, sizeof sn->guest, "%s", nick);
	}
	int k = c->nlines;
	int len = snprintf(text, sizeof text, "m%d", k);
	cluster_trace(c, "n%d's guest %s types \"%s\"", i, sn->guest, text);
	c->lines[k] = (line_rec){.from = i, .life = sn->life, .guest = true};
	memcpy(c->lines[k].nick, sn->guest, sizeof sn->guest); /* both NICK_MAX + 1 */
	if (node_guest_say(sn->core, c->now, sn->guest, "", 0, text, (size_t)len) != NODE_GUEST_OK) {
		after_call(sn);
		return -1;
	}
	c->nlines++;
	after_call(sn);
	return k;
}

void
cluster_command(cluster *c, int i, const char *line)
{
	simnode *sn = &c->nodes[i];

	if (!cluster_alive(c, i) || sn->stalled)
		return;
	cluster_trace(c, "n%d types \"%s\"", i, line);
	node_input(sn->core, c->now, line, strlen(line));
	after_call(sn);
}

void
cluster_leave(cluster *c, int i)
{
	simnode *sn = &c->nodes[i];

	cluster_trace(c, "n%d LEAVES", i);
	sn->left = sn->leaving = true;
	c->faults = true;
	node_leave(sn->core, c->now);
	after_call(sn);
}

/* --- what each node can know --------------------------------------------------- */

static void
learn(simnode *sn, uint64_t id, uint64_t inc, bool tomb)
{
	simnode *o = cluster_by_id(sn->c, id);
	knowledge *k;

	if (o == NULL || o == sn)
		return;
	k = &sn->known[o->idx];
	if (!k->any || inc > k->inc)
		*k = (knowledge){.any = true, .tomb = tomb, .inc = inc};
	else if (inc == k->inc && tomb)
		k->tomb = true;
}

/* Note what a frame delivered to sn on `link` tells it about others. */
static void
learn_frame(simnode *sn, uint32_t link, const uint8_t *body, size_t len)
{
	static wire_msg m;
	int slot = (int)(link % SIM_PEER_SLOTS);

	if (wire_decode(body, len, &m) < 0)
		return;
	if (m.type == WIRE_HELLO) {
		simnode *o = cluster_by_id(sn->c, m.u.hello.id);
		sn->peers[slot].link = link;
		sn->peers[slot].peer = o ? o->idx : -1;
		learn(sn, m.u.hello.id, m.u.hello.inc, false);
	} else if (m.type == WIRE_MEMBERS) {
		for (size_t i = 0; i < m.u.members.count; i++)
			learn(sn, m.u.members.entry[i].id, m.u.members.entry[i].inc,
			      m.u.members.entry[i].status != WIRE_ACTIVE);
	} else if (m.type == WIRE_LEAVE && sn->peers[slot].link == link &&
		   sn->peers[slot].peer >= 0) {
		learn(sn, sn->c->nodes[sn->peers[slot].peer].id, m.u.leave.inc, true);
	}
}

bool
cluster_acquainted(const cluster *c, int a, int b)
{
	const knowledge *ab = &c->nodes[a].known[b], *ba = &c->nodes[b].known[a];

	return (ab->any && !ab->tomb) || (ba->any && !ba->tomb);
}

/* --- the clock -------------------------------------------------------------- */

static void
deliver(cluster *c, const simnet_delivery *d)
{
	simnode *sn = &c->nodes[d->host];
	size_t flen = 0;

	if (!cluster_alive(c, d->host)) {
		cluster_fail(c, "sim: delivery to n%d, which is not running", d->host);
		return;
	}
	switch (d->kind) {
	case SIMNET_UP:
		cluster_trace(c, "n%d link %u up (%s %s)", d->host, d->link,
			      d->outgoing ? "to" : "from", d->text);
		node_link_up(sn->core, c->now, d->link, d->outgoing, d->text, NULL);
		break;
	case SIMNET_DOWN:
		cluster_trace(c, "n%d link %u down: %s", d->host, d->link, d->text);
		node_link_down(sn->core, c->now, d->link, d->text);
		break;
	case SIMNET_FRAME:
		if (wire_frame_split(d->data, d->len, &flen) != 1 || flen != d->len) {
			cluster_fail(c, "sim: a frame was cut in transit");
			return;
		}
		trace_frame(c, "gets on", d->host, d->link, d->data + WIRE_HEADER,
			    d->len - WIRE_HEADER);
		learn_frame(sn, d->link, d->data + WIRE_HEADER, d->len - WIRE_HEADER);
		c->frames_hash = fnv1a(fnv1a(c->frames_hash, &sn->idx, sizeof sn->idx), d->data, d->len);
		node_frame(sn->core, c->now, d->link, d->data + WIRE_HEADER, d->len - WIRE_HEADER);
		break;
	}
	after_call(sn);
}

/* Everything due at c->now: timers first (as in libuv), then the network. */
static void
step(cluster *c)
{
	simnet_delivery d;

	for (int i = 0; i < c->n && !c->failed; i++) {
		simnode *sn = &c->nodes[i];
		if (!cluster_alive(c, i) || sn->stalled || sn->next_tick > c->now)
			continue;
		node_tick(sn->core, c->now);
		if (sn->core)
			sn->next_tick = c->now + node_tick_ms(sn->core) + rng_range(&c->rng, 0, 2);
		after_call(sn);
	}
	while (!c->failed && simnet_pop(c->net, c->now, &d))
		deliver(c, &d);
	/* Every core's invariants, the costly ones too (node_check.c). */
	for (int i = 0; i < c->n && !c->failed; i++)
		if (c->nodes[i].core)
			node_assert_state(c->nodes[i].core, true);
	if (!c->failed)
		check_step(c);
	c->steps++;
}

static uint64_t
next_due(cluster *c)
{
	uint64_t next = simnet_next(c->net);

	for (int i = 0; i < c->n; i++) {
		simnode *sn = &c->nodes[i];
		if (cluster_alive(c, i) && !sn->stalled && sn->next_tick < next)
			next = sn->next_tick;
	}
	return next;
}

void
cluster_run_until(cluster *c, uint64_t t)
{
	while (!c->failed) {
		uint64_t next = next_due(c);
		if (next >= t)
			break;
		if (next > c->now)
			c->now = next;
		step(c);
	}
	if (t > c->now)
		c->now = t;
}
