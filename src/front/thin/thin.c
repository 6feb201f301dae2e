/* thin — see thin.h. */
#include "thin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "event.h"
#include "exit_code.h"
#include "guest.h"
#include "irc.h"
#include "irc_num.h"
#include "nick.h"
#include "wire.h"
#include "xalloc.h"

#define THIN_MAX_PENDING 10000
#define THIN_CHANNEL "#chorus"

typedef struct pending {
	char tag[GUEST_TAG_MAX + 1];
	char *text;        /* as typed */
	size_t len;
	char *esc;         /* as the gateway echoes it (escaped) */
} pending;

struct thin {
	thin_io io;
	char nick[NICK_MAX + 1];
	char *password;
	char session[16];
	uint64_t next_tag;
	pending *pend;
	int npend;
	int cappend;
	bool registered;   /* 001 came on this connection */
	bool joined;       /* 366 came on this connection */
	bool ever_joined;
	bool quitting;
	bool done;
	char last_id[40];  /* the msgid of the latest line shown, "" before any */
	char *esc;         /* scratch, EVENT_ESCAPED_MAX bytes */
};

thin *
thin_new(const char *nick, const char *password, const char *session, const thin_io *io)
{
	thin *t = xcalloc(1, sizeof *t);

	t->io = *io;
	snprintf(t->nick, sizeof t->nick, "%s", nick);
	t->password = password ? xstrdup(password) : NULL;
	snprintf(t->session, sizeof t->session, "%s", session);
	t->esc = xmalloc(EVENT_ESCAPED_MAX);
	return t;
}

void
thin_free(thin *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < t->npend; i++) {
		free(t->pend[i].text);
		free(t->pend[i].esc);
	}
	free(t->pend);
	free(t->password);
	free(t->esc);
	free(t);
}

int
thin_pending(const thin *t)
{
	return t->npend;
}

static void
sendf(thin *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sendf(thin *t, const char *fmt, ...)
{
	char line[IRC_MAX_TAGS + WIRE_MAX_TEXT + 64];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (k > 0)
		t->io.send(t->io.ctx, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
}

/*
 * The screen's lines are the node's: an event, as event_format words it
 * (SPEC section 4).  event_format escapes a message's text; a nick it
 * takes as it is (a node's nicks are checked), so a nick from the
 * gateway is given to it escaped (esc).
 */
static void
show(thin *t, const event *ev)
{
	char line[EVENT_LINE_MAX];

	event_format(ev, line, sizeof line);
	t->io.print(t->io.ctx, line);
}

/* An event that names one user: JOIN, LEAVE, REMOVED (by whom), RENAMED. */
static void
show_nick(thin *t, event_kind kind, const char *nick)
{
	show(t, &(event){.kind = kind, .nick = nick});
}

static void
show_error(thin *t, const char *why)
{
	show(t, &(event){.kind = EVENT_ERROR, .text = why});
}

/* Untrusted text for the screen, in t->esc. */
static const char *
esc(thin *t, irc_str s)
{
	event_escape(s.ptr, s.len, t->esc, EVENT_ESCAPED_MAX);
	return t->esc;
}

void
thin_connected(thin *t)
{
	t->registered = t->joined = false;
	if (t->password)
		sendf(t, "PASS :%s", t->password);
	sendf(t, "CAP LS 302");
	sendf(t, "CAP REQ :server-time echo-message message-tags");
	sendf(t, "NICK %s", t->nick);
	sendf(t, "USER %s 0 * :chorus connect", t->nick);
	sendf(t, "CAP END");
}

static void
send_pending(thin *t, const pending *p)
{
	sendf(t, "@+chorus.dev/id=%s PRIVMSG " THIN_CHANNEL " :%.*s", p->tag, (int)p->len, p->text);
}

void
thin_disconnected(thin *t)
{
	t->registered = t->joined = false;
}

/* The nick of a prefix "nick!user@host". */
static irc_str
who(const irc_msg *m)
{
	irc_str n = m->prefix;
	const char *bang = n.len ? memchr(n.ptr, '!', n.len) : NULL;

	if (bang)
		n.len = (size_t)(bang - n.ptr);
	return n;
}

static bool
mine(const thin *t, irc_str n)
{
	return nick_equal(n.ptr, n.len, t->nick, strlen(t->nick));
}

static void finish(thin *t);

/* Our own line came back from the history: it is through. */
static void
acknowledge(thin *t, const char *text)
{
	for (int i = 0; i < t->npend; i++)
		if (strcmp(t->pend[i].esc, text) == 0) {
			free(t->pend[i].text);
			free(t->pend[i].esc);
			memmove(&t->pend[i], &t->pend[i + 1], (size_t)(t->npend - i - 1) * sizeof *t->pend);
			t->npend--;
			if (t->quitting && t->npend == 0)
				finish(t);
			return;
		}
}

static void
on_privmsg(thin *t, const irc_msg *m)
{
	char id[40] = "";
	irc_str from = who(m);

	/* msgid is "HLC-SENDER" in fixed-width hex: it sorts in history order. */
	if (irc_tag(m, "msgid", id, sizeof id) && id[0]) {
		if (t->last_id[0] && strcmp(id, t->last_id) <= 0)
			return; /* replayed, and seen already */
		snprintf(t->last_id, sizeof t->last_id, "%s", id);
	}
	char nick[NICK_MAX + 1];
	snprintf(nick, sizeof nick, "%.*s", (int)(from.len > NICK_MAX ? NICK_MAX : from.len), from.ptr);
	show(t, &(event){.kind = EVENT_MESSAGE, .nick = nick, .text = m->params[1].ptr,
			 .text_len = m->params[1].len});
	/* Pending lines are kept escaped, as the screen shows them. */
	if (mine(t, from))
		acknowledge(t, esc(t, m->params[1]));
}

static void
joined(thin *t)
{
	t->joined = true;
	if (!t->ever_joined) {
		t->ever_joined = true;
		show_nick(t, EVENT_JOIN, t->nick);
		sendf(t, "PRIVMSG " THIN_CHANNEL " :\\list_users");
	}
	for (int i = 0; i < t->npend; i++)
		send_pending(t, &t->pend[i]);
}

/* --- what the gateway says ----------------------------------------------------- */

static void
on_ping(thin *t, const irc_msg *m)
{
	/* The gateway drops a client that does not answer (idle.h). */
	irc_str token = m->nparams ? m->params[0] : (irc_str){"", 0};
	sendf(t, "PONG :%.*s", (int)token.len, token.ptr);
}

static void
on_notice(thin *t, const irc_msg *m)
{
	/*
	 * The gateway's lines ([LOST], [MOD], answers to commands): the node's
	 * event_format made them; shown as they are, escaped.
	 */
	if ((m->prefix.len == 0 || !memchr(m->prefix.ptr, '!', m->prefix.len)) &&
	    m->params[1].len && m->params[1].ptr[0] == '[')
		t->io.print(t->io.ctx, esc(t, m->params[1]));
}

static void
on_join(thin *t, const irc_msg *m)
{
	irc_str from = who(m);

	if (!mine(t, from))
		show_nick(t, EVENT_JOIN, esc(t, from));
}

/* QUIT and PART. */
static void
on_leave(thin *t, const irc_msg *m)
{
	irc_str from = who(m);

	if (!mine(t, from))
		show_nick(t, EVENT_LEAVE, esc(t, from));
}

static void
on_nick(thin *t, const irc_msg *m)
{
	if (!mine(t, who(m)))
		return;
	snprintf(t->nick, sizeof t->nick, "%.*s",
		 (int)(m->params[0].len > NICK_MAX ? NICK_MAX : m->params[0].len), m->params[0].ptr);
	show_nick(t, EVENT_RENAMED, t->nick);
}

static void
on_kick(thin *t, const irc_msg *m)
{
	if (!mine(t, m->params[1]))
		return;
	show_nick(t, EVENT_REMOVED, esc(t, who(m)));
	t->io.exit(t->io.ctx, CHORUS_EXIT_REMOVED);
}

static void
on_welcome(thin *t, const irc_msg *m)
{
	(void)m;
	t->registered = true;
	sendf(t, "JOIN " THIN_CHANNEL);
}

static void
on_end_of_names(thin *t, const irc_msg *m)
{
	(void)m;
	if (!t->joined)
		joined(t);
}

/* 404 and 417: the line at the head of the queue was refused: it will never echo. */
static void
on_cannot_send(thin *t, const irc_msg *m)
{
	irc_str why = m->nparams ? m->params[m->nparams - 1] : (irc_str){"", 0};

	if (t->npend > 0)
		acknowledge(t, t->pend[0].esc);
	show_error(t, strcmp(m->command, IRC_ERR_INPUTTOOLONG) == 0 ? "message too long" :
		      why.len && memmem(why.ptr, why.len, "silenced", 8) ? "you are silenced" :
		      "cannot send");
}

static void
on_nick_in_use(thin *t, const irc_msg *m)
{
	char line[128];

	(void)m;
	if (t->ever_joined) {
		t->io.retry(t->io.ctx, "our nick is still held for the node we lost; waiting");
		return;
	}
	snprintf(line, sizeof line, "nick \"%s\" is taken", t->nick);
	t->io.note(t->io.ctx, line);
	t->io.exit(t->io.ctx, CHORUS_EXIT_NICK_TAKEN);
}

static void
on_bad_nick(thin *t, const irc_msg *m)
{
	(void)m;
	t->io.note(t->io.ctx, "invalid nick");
	t->io.exit(t->io.ctx, CHORUS_EXIT_USAGE);
}

static void
on_bad_pass(thin *t, const irc_msg *m)
{
	(void)m;
	t->io.note(t->io.ctx, "authentication failed: give the chat's secret "
			      "(--secret-file or CHORUS_SECRET)");
	t->io.exit(t->io.ctx, CHORUS_EXIT_AUTH);
}

static void
on_banned(thin *t, const irc_msg *m)
{
	(void)m;
	show_nick(t, EVENT_REMOVED, "the leader"); /* as a node says it (node_recv.c) */
	t->io.exit(t->io.ctx, CHORUS_EXIT_REMOVED);
}

/* --- dispatch --------------------------------------------------------------------- */

enum thin_when {
	THIN_ANY,
	THIN_REGISTERING, /* only before 001 on this connection: a refusal of the registration */
};

/*
 * What the client reacts to, one entry a command or numeric (the
 * gateway's side is gate_cmd.c's table; the numerics are irc_num.h's).
 * thin_line checks before the handler runs: when (THIN_REGISTERING: the
 * line is ignored once registered), and min, the parameters the handler
 * reads (a line with fewer is ignored: a client does not argue with its
 * server).  Anything not listed is ignored.  There is no max, nor a flood
 * cost: extra parameters are harmless, and a client does not budget its
 * own server.
 */
typedef struct thin_command {
	const char *name;
	void (*fn)(thin *t, const irc_msg *m);
	enum thin_when when;
	int min;
} thin_command;

static const thin_command commands[] = {
	{"PING", on_ping, THIN_ANY, 0},
	{"PRIVMSG", on_privmsg, THIN_ANY, 2},
	{"NOTICE", on_notice, THIN_ANY, 2},
	{"JOIN", on_join, THIN_ANY, 0},
	{"PART", on_leave, THIN_ANY, 0},
	{"QUIT", on_leave, THIN_ANY, 0},
	{"NICK", on_nick, THIN_ANY, 1},
	{"KICK", on_kick, THIN_ANY, 2},
	{IRC_RPL_WELCOME, on_welcome, THIN_ANY, 0},
	{IRC_RPL_ENDOFNAMES, on_end_of_names, THIN_ANY, 0},
	{IRC_ERR_CANNOTSENDTOCHAN, on_cannot_send, THIN_ANY, 0},
	{IRC_ERR_INPUTTOOLONG, on_cannot_send, THIN_ANY, 0},
	{IRC_ERR_ERRONEUSNICKNAME, on_bad_nick, THIN_REGISTERING, 0},
	{IRC_ERR_NICKNAMEINUSE, on_nick_in_use, THIN_REGISTERING, 0},
	{IRC_ERR_PASSWDMISMATCH, on_bad_pass, THIN_REGISTERING, 0},
	{IRC_ERR_YOUREBANNEDCREEP, on_banned, THIN_ANY, 0},
};

void
thin_line(thin *t, const char *line, size_t len)
{
	irc_msg m;

	if (!irc_parse(line, len, &m))
		return;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const thin_command *k = &commands[i];
		if (strcmp(k->name, m.command) != 0)
			continue;
		if ((k->when == THIN_ANY || !t->registered) && m.nparams >= k->min)
			k->fn(t, &m);
		return;
	}
}

void
thin_input(thin *t, const char *line, size_t len)
{
	cmd c = cmd_parse(line, len);

	if (c.kind == CMD_NONE)
		return;
	if (c.kind == CMD_QUIT) {
		thin_quit(t);
		return;
	}
	if (c.kind != CMD_MESSAGE) {
		if (t->joined)
			sendf(t, "PRIVMSG " THIN_CHANNEL " :%.*s", (int)len, line);
		else
			show_error(t, "not connected to a node yet");
		return;
	}
	if (len > WIRE_MAX_TEXT - GUEST_TAG_MAX - 1) {
		show_error(t, "message too long");
		return;
	}
	if (!utf8_valid(line, len)) {
		show_error(t, "message is not valid UTF-8");
		return;
	}
	if (t->npend == THIN_MAX_PENDING) {
		show_error(t, "too many lines waiting for a node");
		return;
	}
	if (t->npend == t->cappend) {
		t->cappend = t->cappend ? 2 * t->cappend : 64;
		t->pend = xrealloc(t->pend, (size_t)t->cappend * sizeof *t->pend);
	}
	pending *p = &t->pend[t->npend++];
	snprintf(p->tag, sizeof p->tag, "%s.%llu", t->session, (unsigned long long)++t->next_tag);
	p->text = xstrndup(line, len);
	p->len = len;
	p->esc = xstrdup(esc(t, (irc_str){line, len}));
	if (t->joined)
		send_pending(t, p);
}

/* Leave now: say so, and go. */
static void
finish(thin *t)
{
	if (t->done)
		return;
	t->done = true;
	if (t->npend > 0) {
		char line[96];
		snprintf(line, sizeof line, "leaving with %d line(s) not confirmed by a node",
			 t->npend);
		t->io.note(t->io.ctx, line);
	}
	if (t->ever_joined)
		show_nick(t, EVENT_LEAVE, t->nick);
	sendf(t, "QUIT :bye");
	t->io.exit(t->io.ctx, CHORUS_EXIT_LEFT);
}

void
thin_quit(thin *t)
{
	/* Lines typed last go through first; a second call does not wait. */
	if (t->quitting || t->npend == 0)
		finish(t);
	t->quitting = true;
}
