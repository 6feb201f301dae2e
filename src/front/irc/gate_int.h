/*
 * gate_int — the IRC gateway's private state, shared by gate.c (clients,
 * buffers, the core's events as IRC lines) and gate_cmd.c (what clients
 * send).  Nothing outside src/front/irc/gate*.c includes it.
 */
#ifndef CHORUS_GATE_INT_H
#define CHORUS_GATE_INT_H

#include <stdarg.h>

#include "conn.h"
#include "gate.h"
#include "idle.h"
#include "irc.h"
#include "nick.h"

#define GATE_MAX_IN (IRC_MAX_TAGS + IRC_MAX_LINE + 4096) /* one line from a client, its LF too */
#define GATE_MAX_QUEUED (16 * 1024 * 1024) /* unwritten bytes before a client is dropped */
#define GATE_REPLAY 200       /* the most lines replayed to a returning user */
#define GATE_NAME_MAX 63

typedef struct gate_client {
	conn *conn;             /* its connection: lines in, lines gathered for gate_flush */
	gate *g;
	char host[64];
	idle life;              /* the registration deadline, then PING when quiet */
	bool closing;
	bool pass_ok;
	bool cap_open;          /* CAP LS or REQ came: registration waits for CAP END */
	bool registered;
	bool joined;            /* in the channel: a guest of the node */
	bool cap_time, cap_echo, cap_tags;
	bool have_user;
	char nick[NICK_MAX + 1];
	struct gate_client *next;
} gate_client;

struct gate {
	uv_loop_t *loop;
	node *core;
	gate_config cfg;
	char name[GATE_NAME_MAX + 1];
	char channel[GATE_NAME_MAX + 1];
	conn_listener *listener; /* NULL once closed */
	gate_client *clients;        /* newest first */
	int nclients;           /* in the list: registered or not */
	int nunregistered;      /* of them, not registered yet */
	idle_limits lim;
	unsigned evicted;       /* unregistered clients dropped for newer ones, not logged yet */
	char evicted_host[64];  /* the last of them */
	uint64_t evict_logged;  /* when that was last logged */
	bool held;
	bool closed;
	char *scratch;          /* lines being built: 4 of GATE_LINE bytes */
};

#define GATE_LINE (IRC_MAX_TAGS + 4 * 4096 + 1024)

/* gate.c */
void gate_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* c is registered, unless the registered clients are all there already (c is dropped). */
bool gate_registered(gate_client *c);
void gate_put(gate_client *c, const char *s, size_t len);
void gate_sendf(gate_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ":name NUM nick " then the rest. */
void gate_reply(gate_client *c, const char *num, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gate_drop(gate_client *c, const char *why);
uint64_t gate_now(const gate *g);
/* The line of a chat record for c (tags as negotiated): into buf. */
size_t gate_privmsg(const gate_client *c, char *buf, size_t cap, const char *nick, const char *text,
		    size_t len, uint64_t ms, uint64_t hlc, uint64_t sender);

/* gate_cmd.c */
/* A line from c (without CR LF): dispatched through the command table. */
void gate_line(gate_client *c, const char *line, size_t len);
/* Parameter i of m into buf, NUL-terminated and cut to cap; "" when absent. */
const char *gate_param(const irc_msg *m, int i, char *buf, size_t cap);

/*
 * gate_reg.c: registration.  The handlers of PASS, NICK, USER, CAP and
 * MOTD, called by gate_line once the table's checks passed (m NULL for
 * gate_motd: the welcome's).
 */
void gate_pass(gate_client *c, const irc_msg *m);
void gate_nick(gate_client *c, const irc_msg *m);
void gate_user(gate_client *c, const irc_msg *m);
void gate_cap(gate_client *c, const irc_msg *m);
void gate_motd(gate_client *c, const irc_msg *m);
/* Why the core refuses c's nick (rc: enum node_guest_result), as IRC; may drop c. */
void gate_refused(gate_client *c, const char *nick, int rc);

#endif
