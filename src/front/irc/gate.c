/* gate — see gate.h.  Clients, their buffers, and the core's events as IRC. */
#include "gate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

static const conn_handlers client_handlers;

uint64_t
gate_now(const gate *g)
{
	return uv_now(g->loop);
}

void
gate_logf(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "chorus: IRC: %s\n", line);
}

/* --- output ------------------------------------------------------------------ */

void
gate_put(gate_client *c, const char *s, size_t len)
{
	if (!c->closing)
		conn_put(c->conn, s, len);
}

/* Format one line and its CR LF into line (cut to fit); its length. */
static size_t
vline(char *line, size_t cap, const char *fmt, va_list ap)
{
	int k = vsnprintf(line, cap - 2, fmt, ap);

	if (k < 0)
		return 0;
	if ((size_t)k > cap - 3)
		k = (int)cap - 3;
	memcpy(line + k, "\r\n", 2);
	return (size_t)k + 2;
}

void
gate_sendf(gate_client *c, const char *fmt, ...)
{
	char line[2 * IRC_MAX_LINE];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = vline(line, sizeof line, fmt, ap);
	va_end(ap);
	if (len)
		gate_put(c, line, len);
}

void
gate_reply(gate_client *c, const char *num, const char *fmt, ...)
{
	char rest[2 * IRC_MAX_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof rest, fmt, ap);
	va_end(ap);
	gate_sendf(c, ":%s %s %s %s", c->g->name, num, c->nick[0] ? c->nick : "*", rest);
}

/* The connection is closed: the client goes. */
static void
on_gone(conn *cn)
{
	free(conn_data(cn));
}

static void
unlink_client(gate_client *c)
{
	gate *g = c->g;

	for (gate_client **p = &g->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			g->nclients--;
			g->nunregistered -= !c->registered;
			return;
		}
}

/*
 * Close c: what was gathered for it goes out if the socket takes it at
 * once (the ERROR line), nothing waits.  why is for its session.
 */
void
gate_drop(gate_client *c, const char *why)
{
	gate *g = c->g;

	if (c->closing)
		return;
	if (c->joined && !g->closed)
		node_guest_part(g->core, gate_now(g), c->nick, why);
	c->joined = false;
	c->closing = true;
	unlink_client(c);
	conn_close(c->conn, CONN_NOW);
}

void
gate_flush(gate *g)
{
	gate_client *next;

	if (g->listener && !g->closed)
		conn_listener_pass(g->listener);
	for (gate_client *c = g->clients; c; c = next) {
		next = c->next; /* a failed write unlinks c */
		conn_flush(c->conn);
	}
}

/* --- input ------------------------------------------------------------------- */

static void
on_line(conn *cn, const char *line, size_t len)
{
	gate_line(conn_data(cn), line, len);
}

static void
on_heard(conn *cn)
{
	gate_client *c = conn_data(cn);

	idle_heard(&c->life, gate_now(c->g));
}

static void
on_fail(conn *cn, int err)
{
	gate_client *c = conn_data(cn);

	switch (err) {
	case UV_EOF:
		gate_drop(c, "connection closed");
		break;
	case CONN_ETOOLONG:
		gate_sendf(c, "ERROR :Closing link: line too long");
		gate_drop(c, "line too long");
		break;
	case CONN_EQUEUE:
		gate_drop(c, "send queue full");
		break;
	default:
		gate_drop(c, "connection lost");
		break;
	}
}

static const conn_handlers client_handlers = {
	.heard = on_heard, .line = on_line, .fail = on_fail, .gone = on_gone,
};

/*
 * The budget of unregistered connections is full: one makes room
 * (idle_pick: one that sent nothing while GATE_MAX_UNREGISTERED / 2 newer
 * ones came, the oldest such, else the oldest of all; never the newcomer).
 * Idle sockets cannot keep a user out, even from the user's own address:
 * a client's first lines come with its connection, and then only a flood
 * that speaks too can push it out, by opening GATE_MAX_UNREGISTERED newer
 * ones before it has registered.
 */
static void
evict_one(gate *g, const gate_client *fresh)
{
	gate_client *cs[GATE_MAX_UNREGISTERED];
	conn *conns[GATE_MAX_UNREGISTERED];
	idle *v[GATE_MAX_UNREGISTERED];
	int n = 0, i;

	for (gate_client *c = g->clients; c && n < GATE_MAX_UNREGISTERED; c = c->next) /* newest first */
		if (!c->registered && c != fresh) {
			cs[n] = c;
			conns[n] = c->conn;
			v[n++] = &c->life;
		}
	if ((i = conn_pick_stranger(conns, v, n, GATE_MAX_UNREGISTERED / 2, gate_now(g))) < 0)
		return;
	g->evicted++;
	snprintf(g->evicted_host, sizeof g->evicted_host, "%s", cs[i]->host);
	gate_sendf(cs[i], "ERROR :Closing link: too many connections waiting to register");
	gate_drop(cs[i], "evicted");
}

static void
on_accept(void *ctx, conn_listener *l)
{
	gate *g = ctx;
	conn *cn = conn_accept(l, &client_handlers, NULL);

	if (cn == NULL)
		return;
	gate_client *c = xcalloc(1, sizeof *c);
	c->g = g;
	c->conn = cn;
	conn_set_data(cn, c);
	conn_frame_lines(cn, GATE_MAX_IN - 1);
	conn_cap(cn, GATE_MAX_QUEUED);
	snprintf(c->host, sizeof c->host, "%s", conn_host(cn));
	c->next = g->clients;
	g->clients = c;
	g->nclients++;
	g->nunregistered++;
	idle_start(&c->life, gate_now(g));
	if (g->closed) {
		gate_sendf(c, "ERROR :Closing link: the node is leaving");
		gate_drop(c, "refused");
		return;
	}
	if (g->nunregistered > GATE_MAX_UNREGISTERED)
		evict_one(g, c);
	c->pass_ok = !g->cfg.need_pass;
	if (!g->held)
		conn_reading(cn, true);
}

bool
gate_registered(gate_client *c)
{
	gate *g = c->g;

	if (g->nclients - g->nunregistered >= GATE_MAX_CLIENTS) {
		gate_logf("refused %s from %s: %d clients registered already", c->nick, c->host,
			  GATE_MAX_CLIENTS);
		gate_sendf(c, "ERROR :Closing link: too many clients");
		gate_drop(c, "refused");
		return false;
	}
	c->registered = true;
	g->nunregistered--;
	idle_ready(&c->life, gate_now(g));
	return true;
}

void
gate_sweep(gate *g)
{
	uint64_t now = gate_now(g);
	gate_client *next;
	char late_host[64] = "";
	int late = 0;

	for (gate_client *c = g->clients; c; c = next) {
		next = c->next; /* a drop unlinks c; nothing here drops another */
		if (g->held) {
			idle_pause(&c->life, now); /* not read: its words may be waiting */
			continue;
		}
		switch (idle_check(&c->life, &g->lim, now)) {
		case IDLE_OK:
			break;
		case IDLE_PING:
			gate_sendf(c, "PING :%s", g->name);
			break;
		case IDLE_LATE:
			late++;
			snprintf(late_host, sizeof late_host, "%s", c->host);
			gate_sendf(c, "ERROR :Closing link: registration timed out");
			gate_drop(c, "registration timed out");
			break;
		case IDLE_SILENT:
			gate_logf("dropped %s from %s: ping timeout (no answer in %u ms)", c->nick,
				  c->host, g->lim.ping_ms);
			gate_sendf(c, "ERROR :Closing link: ping timeout");
			gate_drop(c, "ping timeout");
			break;
		}
	}
	/* A flood would log a line per socket: one line a sweep, one a second. */
	if (late == 1)
		gate_logf("dropped a client from %s: registration timed out (%u ms)", late_host,
			  g->lim.setup_ms);
	else if (late > 1)
		gate_logf("dropped %d clients: registration timed out (%u ms; one from %s)", late,
			  g->lim.setup_ms, late_host);
	if (g->evicted && now - g->evict_logged >= 1000) {
		gate_logf("too many connections waiting to register: dropped %u to make room for "
			  "new ones (the silent first, then the oldest; the last from %s; at most %d "
			  "wait at once)", g->evicted, g->evicted_host, GATE_MAX_UNREGISTERED);
		g->evicted = 0;
		g->evict_logged = now;
	}
}

void
gate_hold(gate *g, bool busy)
{
	if (busy == g->held)
		return;
	g->held = busy;
	for (gate_client *c = g->clients; c; c = c->next)
		conn_reading(c->conn, !busy);
}

/* --- the core's events --------------------------------------------------------- */

static size_t
iso_time(char *buf, size_t cap, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t k;

	gmtime_r(&t, &tm);
	k = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	return k + (size_t)snprintf(buf + k, cap - k, ".%03uZ", (unsigned)(ms % 1000));
}

size_t
gate_privmsg(const gate_client *c, char *buf, size_t cap, const char *nick, const char *text,
	     size_t len, uint64_t ms, uint64_t hlc, uint64_t sender)
{
	size_t o = 0;

	if (c->cap_time || c->cap_tags) {
		o += (size_t)snprintf(buf, cap, "@time=");
		o += iso_time(buf + o, cap - o, ms);
		if (c->cap_tags)
			o += (size_t)snprintf(buf + o, cap - o, ";msgid=%016llx-%016llx",
					      (unsigned long long)hlc, (unsigned long long)sender);
		buf[o++] = ' ';
	}
	o += (size_t)snprintf(buf + o, cap - o, ":%s!%s@chorus PRIVMSG %s :", nick, nick,
			      c->g->channel);
	o += event_escape(text, len, buf + o, cap - o - 2);
	memcpy(buf + o, "\r\n", 2);
	return o + 2;
}

static bool
is_nick(const gate_client *c, const char *nick)
{
	return nick && nick_same(c->nick, nick);
}

/*
 * A chat line to every client in the channel, its author's only with
 * echo-message.  The line is built once per kind of client (tags or not).
 */
static void
fan_out(gate *g, const event *ev)
{
	size_t len[4] = {0};
	char *buf[4];

	for (int k = 0; k < 4; k++)
		buf[k] = g->scratch + (size_t)k * GATE_LINE;
	for (gate_client *c = g->clients; c; c = c->next) {
		if (!c->joined || (is_nick(c, ev->nick) && !c->cap_echo))
			continue;
		int k = (c->cap_time || c->cap_tags) + 2 * c->cap_tags;
		if (len[k] == 0)
			len[k] = gate_privmsg(c, buf[k], GATE_LINE, ev->nick, ev->text,
					      ev->text_len, ev->time, ev->hlc, ev->sender);
		gate_put(c, buf[k], len[k]);
	}
}

/* Everyone in the channel but the user concerned gets the line. */
static void
to_others(gate *g, const char *nick, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
to_others(gate *g, const char *nick, const char *fmt, ...)
{
	char line[2 * IRC_MAX_LINE];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = vline(line, sizeof line, fmt, ap);
	va_end(ap);
	for (gate_client *c = g->clients; c && len; c = c->next)
		if (c->joined && !is_nick(c, nick))
			gate_put(c, line, len);
}

void
gate_event(gate *g, const event *ev)
{
	char line[EVENT_LINE_MAX];

	switch (ev->kind) {
	case EVENT_MESSAGE:
	case EVENT_LATE:
		fan_out(g, ev);
		break;
	case EVENT_JOIN:
		to_others(g, ev->nick, ":%s!%s@chorus JOIN %s", ev->nick, ev->nick, g->channel);
		break;
	case EVENT_LEAVE:
		to_others(g, ev->nick, ":%s!%s@chorus QUIT :left the chat", ev->nick, ev->nick);
		break;
	case EVENT_LOST:
	case EVENT_BACK:
	case EVENT_LEADER:
	case EVENT_MOD:
		event_format(ev, line, sizeof line);
		to_others(g, NULL, ":%s NOTICE %s :%s", g->name, g->channel, line);
		break;
	default:
		break; /* answers to the terminal's commands, [HISTORY] */
	}
}

static gate_client *
by_nick(gate *g, const char *nick)
{
	for (gate_client *c = g->clients; c; c = c->next)
		if (c->joined && is_nick(c, nick))
			return c;
	return NULL;
}

void
gate_guest(gate *g, int what, const char *nick, const char *arg)
{
	gate_client *c = by_nick(g, nick);

	if (c == NULL)
		return;
	if (what == NODE_GUEST_RENAMED) {
		gate_sendf(c, ":%s!%s@chorus NICK :%s", c->nick, c->nick, arg);
		snprintf(c->nick, sizeof c->nick, "%s", arg);
		gate_sendf(c, ":%s NOTICE %s :your nick was taken by another user of the chat",
			   g->name, c->nick);
	} else if (what == NODE_GUEST_KICKED) {
		c->joined = false; /* the core has detached it */
		gate_sendf(c, ":%s!%s@chorus KICK %s %s :removed by %s", arg, arg, g->channel,
			   c->nick, arg);
		gate_sendf(c, "ERROR :Closing link: removed by %s", arg);
		gate_drop(c, "removed");
	}
}

/* --- life ---------------------------------------------------------------------- */

gate *
gate_new(uv_loop_t *loop, node *core, const gate_config *cfg, int *err)
{
	gate *g = xcalloc(1, sizeof *g);
	g->loop = loop;
	g->core = core;
	g->cfg = *cfg;
	snprintf(g->name, sizeof g->name, "%s", cfg->name);
	snprintf(g->channel, sizeof g->channel, "%s", cfg->channel);
	g->cfg.name = g->name;
	g->cfg.channel = g->channel;
	g->cfg.host = NULL;
	g->lim = (idle_limits){.setup_ms = cfg->register_ms ? cfg->register_ms : GATE_REGISTER_MS,
			       .ping_ms = cfg->ping_ms ? cfg->ping_ms : GATE_PING_MS};
	g->scratch = xmalloc(4 * GATE_LINE);
	*err = conn_listen(loop, cfg->host, cfg->port, on_accept, g, &g->listener);
	if (*err != 0) {
		g->listener = NULL;
		g->closed = true;
	}
	return g;
}

uint16_t
gate_port(const gate *g)
{
	return conn_listener_port(g->listener);
}

void
gate_close(gate *g)
{
	gate_client *next;

	if (g->closed)
		return;
	g->closed = true;
	for (gate_client *c = g->clients; c; c = next) {
		next = c->next;
		c->joined = false; /* the node's leave parts its guests */
		gate_sendf(c, "ERROR :Closing link: the node is leaving; connect to another");
		gate_drop(c, "node left");
	}
	if (g->listener)
		conn_listener_close(g->listener, NULL, NULL);
	g->listener = NULL;
}

void
gate_free(gate *g)
{
	if (g == NULL)
		return;
	free(g->scratch);
	free(g);
}
