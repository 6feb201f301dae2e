/*
 * gate_front — the IRC gateway as a front end of the runner (front.h):
 * made when the options say --irc, configured from them (a PASS is asked
 * for unless the gateway listens on loopback only), and driven at the
 * runner's points of the loop through gate.h.
 */
#include "gate.h"

#include <stdio.h>
#include <string.h>

static bool
loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

static void
on_event(void *self, const event *ev)
{
	gate_event(self, ev);
}

static void
on_guest(void *self, int what, const char *nick, const char *arg)
{
	gate_guest(self, what, nick, arg);
}

static void
on_flush(void *self)
{
	gate_flush(self);
}

static void
on_hold(void *self, bool busy)
{
	gate_hold(self, busy);
}

static void
on_sweep(void *self)
{
	gate_sweep(self);
}

static void
on_leave(void *self)
{
	gate_close(self);
}

static void
on_free(void *self)
{
	gate_free(self);
}

static const front_ops gate_ops = {
	.event = on_event, .guest = on_guest, .flush = on_flush, .hold = on_hold,
	.sweep = on_sweep, .leave = on_leave, .free = on_free,
};

int
gate_front(void *arg, const front_env *env, front *out)
{
	const node_opts *o = env->opts;
	char name[80];
	int err;
	gate_config gc = {.host = strcmp(o->irc_host, "localhost") ? o->irc_host : "127.0.0.1",
			  .port = o->irc_port, .channel = o->irc_channel, .name = name,
			  .need_pass = !loopback(o->irc_host), .register_ms = o->irc_register_ms,
			  .ping_ms = o->irc_ping_ms};
	gate *g;

	(void)arg;
	if (!o->irc)
		return 0;
	snprintf(name, sizeof name, "%s.chorus", o->nick);
	memcpy(gc.check, env->pass_check, sizeof gc.check);
	g = gate_new(env->loop, env->core, &gc, &err);
	if (err != 0) {
		fprintf(stderr, "chorus: cannot accept IRC clients on %s:%u: %s\n", o->irc_host,
			o->irc_port, uv_strerror(err));
		gate_free(g);
		return -1;
	}
	fprintf(stderr, "chorus: IRC clients welcome on %s:%u, channel %s%s\n", o->irc_host,
		gate_port(g), o->irc_channel, gc.need_pass ? " (PASS: the secret)" : "");
	*out = (front){&gate_ops, g, GATE_FILES};
	return 1;
}
