/*
 * gate_cmd — what IRC clients send to the gateway, dispatched through one
 * table (commands[], below): registration (PASS, CAP, NICK, USER: their
 * handlers are in gate_reg.c), the channel (JOIN, PART, NAMES, WHO,
 * TOPIC, MODE, LIST, KICK), chat (PRIVMSG, NOTICE, and the node's \
 * commands, answered to the client that asked), and the rest (PING, PONG,
 * MOTD, WHOIS, QUIT).  docs/irc.md lists the replies.
 */
#include "gate_int.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "guest.h"
#include "hist.h"
#include "irc_num.h"
#include "mod.h"

#define TOPIC "Chorus: one replicated, totally ordered chat"

const char *
gate_param(const irc_msg *m, int i, char *buf, size_t cap)
{
	size_t len = i < m->nparams ? m->params[i].len : 0;

	if (len >= cap)
		len = cap - 1;
	memcpy(buf, i < m->nparams ? m->params[i].ptr : "", len);
	buf[len] = '\0';
	return buf;
}

static bool
is_channel(const gate *g, irc_str s)
{
	return irc_is(s, g->channel);
}

/* --- the channel ----------------------------------------------------------------- */

typedef struct names {
	gate_client *c;
	char line[IRC_MAX_LINE];
	size_t o;
	int count;
	bool who;
} names;

static void
name_one(void *arg, const char *nick, bool leader, bool silenced, bool is_guest)
{
	names *s = arg;
	gate_client *c = s->c;

	s->count++;
	if (s->who) {
		gate_reply(c, IRC_RPL_WHOREPLY, "%s %s %s %s %s H%s :0 %s", c->g->channel, nick,
			   is_guest ? "irc" : "node", c->g->name, nick, leader ? "@" : "",
			   silenced ? "silenced" : nick);
		return;
	}
	if (s->o + strlen(nick) + 2 > 400) {
		gate_reply(c, IRC_RPL_NAMREPLY, "= %s :%s", c->g->channel, s->line);
		s->o = 0;
	}
	s->o += (size_t)snprintf(s->line + s->o, sizeof s->line - s->o, "%s%s%s", s->o ? " " : "",
				 leader ? "@" : "", nick);
}

static void
on_names(gate_client *c, const irc_msg *m)
{
	names s = {.c = c};

	(void)m; /* there is one channel */
	node_each_user(c->g->core, name_one, &s);
	if (s.o)
		gate_reply(c, IRC_RPL_NAMREPLY, "= %s :%s", c->g->channel, s.line);
	gate_reply(c, IRC_RPL_ENDOFNAMES, "%s :End of /NAMES list.", c->g->channel);
}

typedef struct replay {
	gate_client *c;
	uint64_t since;
	uint64_t shown_hlc, shown_sender;
} replay;

static bool
replay_one(void *arg, const hist_rec *r)
{
	replay *p = arg;
	char *buf = p->c->g->scratch;
	node_line line;

	if (r->hlc <= p->since ||
	    hist_cmp(r->hlc, r->sender, p->shown_hlc, p->shown_sender) > 0)
		return true; /* before the user left, or not shown here yet */
	if (!node_line_of(p->c->g->core, r, &line))
		return true; /* not a line, or one no node shows */
	gate_put(p->c, buf, gate_privmsg(p->c, buf, GATE_LINE, line.nick, line.text, line.len,
					  hlc_ms(r->hlc), r->hlc, r->sender));
	return true;
}

/* A returning user gets what was said while it was away. */
static void
replay_missed(gate_client *c, uint64_t since)
{
	replay p = {c, since, 0, 0};

	node_shown_key(c->g->core, &p.shown_hlc, &p.shown_sender);
	gate_sendf(c, ":%s NOTICE %s :replaying what was said while you were away", c->g->name,
		   c->nick);
	node_recent(c->g->core, GATE_REPLAY, replay_one, &p);
}

static void
on_join(gate_client *c, const irc_msg *m)
{
	gate *g = c->g;
	uint64_t since;

	if (irc_is(m->params[0], "0") && c->joined) {
		c->joined = false;
		node_guest_part(g->core, gate_now(g), c->nick, "part");
		gate_sendf(c, ":%s!%s@chorus PART %s", c->nick, c->nick, g->channel);
		return;
	}
	if (!is_channel(g, m->params[0])) {
		gate_reply(c, IRC_ERR_NOSUCHCHANNEL, "%.*s :No such channel (this chat is %s)",
			   (int)(m->params[0].len > 64 ? 64 : m->params[0].len), m->params[0].ptr,
			   g->channel);
		return;
	}
	if (c->joined)
		return;
	int rc = node_guest_join(g->core, gate_now(g), c->nick, &since);
	if (rc != NODE_GUEST_OK) {
		gate_refused(c, c->nick, rc);
		return;
	}
	c->joined = true;
	gate_sendf(c, ":%s!%s@chorus JOIN %s", c->nick, c->nick, g->channel);
	gate_reply(c, IRC_RPL_TOPIC, "%s :" TOPIC, g->channel);
	on_names(c, m);
	if (since)
		replay_missed(c, since);
}

static void
on_part(gate_client *c, const irc_msg *m)
{
	if (m->nparams < 1 || !is_channel(c->g, m->params[0])) {
		gate_reply(c, IRC_ERR_NOTONCHANNEL, "%s :You're not on that channel", c->g->channel);
		return;
	}
	if (!c->joined) {
		gate_reply(c, IRC_ERR_NOTONCHANNEL, "%s :You're not on that channel", c->g->channel);
		return;
	}
	c->joined = false;
	node_guest_part(c->g->core, gate_now(c->g), c->nick, "part");
	gate_sendf(c, ":%s!%s@chorus PART %s", c->nick, c->nick, c->g->channel);
}

static void
on_who(gate_client *c, const irc_msg *m)
{
	names s = {.c = c, .who = true};
	char mask[64];

	gate_param(m, 0, mask, sizeof mask);
	if (m->nparams > 0 && is_channel(c->g, m->params[0]))
		node_each_user(c->g->core, name_one, &s);
	gate_reply(c, IRC_RPL_ENDOFWHO, "%s :End of /WHO list.", mask[0] ? mask : "*");
}

static void
on_mode(gate_client *c, const irc_msg *m)
{
	gate *g = c->g;

	if (irc_is(m->params[0], c->nick)) {
		gate_reply(c, IRC_RPL_UMODEIS, "+i");
	} else if (!is_channel(g, m->params[0])) {
		gate_reply(c, IRC_ERR_NOSUCHCHANNEL, "%.*s :No such channel", (int)(m->params[0].len > 64 ? 64 :
			   m->params[0].len), m->params[0].ptr);
	} else if (m->nparams == 1) {
		gate_reply(c, IRC_RPL_CHANNELMODEIS, "%s +nt", g->channel);
	} else if (irc_is(m->params[1], "b") || irc_is(m->params[1], "+b")) {
		gate_reply(c, IRC_RPL_ENDOFBANLIST, "%s :End of channel ban list", g->channel);
	} else {
		gate_reply(c, IRC_ERR_CHANOPRIVSNEEDED,
			   "%s :Only the leader's node moderates (!silence, !remove)", g->channel);
	}
}

static void
on_topic(gate_client *c, const irc_msg *m)
{
	if (m->nparams < 1 || !is_channel(c->g, m->params[0]))
		gate_reply(c, IRC_ERR_NOSUCHCHANNEL, "* :No such channel");
	else if (m->nparams > 1)
		gate_reply(c, IRC_ERR_CHANOPRIVSNEEDED, "%s :The topic is fixed", c->g->channel);
	else
		gate_reply(c, IRC_RPL_TOPIC, "%s :" TOPIC, c->g->channel);
}

static void
on_list(gate_client *c, const irc_msg *m)
{
	names s = {.c = c, .who = false};

	(void)m;
	node_each_user(c->g->core, name_one, &s); /* counts; the 353 lines are not sent */
	gate_reply(c, IRC_RPL_LISTSTART, "Channel :Users  Name");
	gate_reply(c, IRC_RPL_LIST, "%s %d :" TOPIC, c->g->channel, s.count);
	gate_reply(c, IRC_RPL_LISTEND, ":End of /LIST");
}

/* --- chat ------------------------------------------------------------------------ */

/* The core's answer to c's command (node_ask): a NOTICE to c alone. */
static void
answer(void *arg, const event *ev)
{
	gate_client *c = arg;
	char line[EVENT_LINE_MAX];

	event_format(ev, line, sizeof line);
	gate_sendf(c, ":%s NOTICE %s :%s", c->g->name, c->nick, line);
}

/* A \ command typed in the channel: answered to this client alone. */
static void
command(gate_client *c, const cmd *k, const char *text, size_t len)
{
	gate *g = c->g;

	switch (k->kind) {
	case CMD_IS_LEADER:
		gate_sendf(c, ":%s NOTICE %s :[IS_LEADER] no", g->name, c->nick);
		return;
	case CMD_SILENCE:
	case CMD_UNSILENCE:
	case CMD_REMOVE:
	case CMD_READMIT:
		gate_sendf(c, ":%s NOTICE %s :[ERROR] only the leader can %s", g->name, c->nick,
			   mod_command(k->kind == CMD_SILENCE ? MOD_SILENCE :
				       k->kind == CMD_UNSILENCE ? MOD_UNSILENCE :
				       k->kind == CMD_REMOVE ? MOD_REMOVE : MOD_READMIT));
		return;
	default:
		node_ask(g->core, gate_now(g), text, len, answer, c);
	}
}

/* PRIVMSG and NOTICE: a NOTICE is never answered with an error. */
static void
on_say(gate_client *c, const irc_msg *m)
{
	gate *g = c->g;
	bool notice = strcmp(m->command, "NOTICE") == 0;
	char tag[GUEST_TAG_MAX + 1] = "";
	irc_str t = m->nparams > 1 ? m->params[1] : (irc_str){"", 0};

	if (m->nparams < 2 || t.len == 0) {
		if (!notice)
			gate_reply(c, IRC_ERR_NOTEXTTOSEND, ":No text to send");
		return;
	}
	if (!is_channel(g, m->params[0]) || !c->joined) {
		if (!notice)
			gate_reply(c, IRC_ERR_CANNOTSENDTOCHAN,
				   "%.*s :Cannot send: this chat is %s, and you must JOIN it",
				   (int)(m->params[0].len > 64 ? 64 : m->params[0].len),
				   m->params[0].ptr, g->channel);
		return;
	}
	cmd k = cmd_parse(t.ptr, t.len);
	if (k.kind != CMD_MESSAGE && k.kind != CMD_QUIT && k.kind != CMD_NONE) {
		command(c, &k, t.ptr, t.len);
		return;
	}
	irc_tag(m, "+chorus.dev/id", tag, sizeof tag);
	int rc = node_guest_say(g->core, gate_now(g), c->nick, tag, strlen(tag), t.ptr, t.len);
	if (rc == NODE_GUEST_SILENCED)
		gate_reply(c, IRC_ERR_CANNOTSENDTOCHAN, "%s :Cannot send to channel (you are silenced)",
			   g->channel);
	else if (rc == NODE_GUEST_TOO_LONG)
		gate_reply(c, IRC_ERR_INPUTTOOLONG, ":Input line was too long");
	else if (rc == NODE_GUEST_BAD_TEXT)
		gate_sendf(c, ":%s NOTICE %s :[ERROR] message is not valid UTF-8", g->name, c->nick);
}

/* --- the rest ------------------------------------------------------------------ */

static void
on_kick(gate_client *c, const irc_msg *m)
{
	(void)m;
	gate_reply(c, IRC_ERR_CHANOPRIVSNEEDED, "%s :Only the leader's node removes users (!remove)",
		   c->g->channel);
}

static void
on_whois(gate_client *c, const irc_msg *m)
{
	char a[64];

	gate_param(m, m->nparams > 1, a, sizeof a);
	gate_reply(c, IRC_RPL_WHOISUSER, "%s %s chorus * :%s", a, a, a);
	gate_reply(c, IRC_RPL_ENDOFWHOIS, "%s :End of /WHOIS list.", a);
}

static void
on_ping(gate_client *c, const irc_msg *m)
{
	char a[IRC_MAX_LINE];

	gate_sendf(c, ":%s PONG %s :%s", c->g->name, c->g->name, gate_param(m, 0, a, sizeof a));
}

static void
on_quit(gate_client *c, const irc_msg *m)
{
	(void)m;
	gate_sendf(c, "ERROR :Closing link (quit)");
	gate_drop(c, "quit");
}

/* --- dispatch --------------------------------------------------------------------- */

enum gate_when {
	GATE_ANY,   /* before registration or after */
	GATE_UNREG, /* only before: after it, 462 ERR_ALREADYREGISTRED */
	GATE_REG,   /* only after: before it, 451 ERR_NOTREGISTERED */
};

/*
 * What a client may send, one entry a command (ngIRCd's My_Commands[]).
 * gate_line finds the entry and checks, before any handler runs:
 *
 *   when      whether the client must (not) be registered yet (above);
 *   min, max  how many parameters the handler needs and takes: 461
 *             ERR_NEEDMOREPARAMS otherwise.  A command with a reply of its
 *             own for a missing parameter (NICK's 431, PRIVMSG's 412,
 *             PART's 442, TOPIC's 403, CAP's 410) has min 0 and its handler
 *             answers.  Extra parameters are ignored, as clients expect:
 *             max is IRC_MAX_PARAMS (any) everywhere for now;
 *   cost      the line's weight in a client's flood budget.  The gateway
 *             has no such budget yet (a client's lines are read as they
 *             come; gate_hold pauses every client alike while the node is
 *             busy), so each command costs 1, today's uniform cost, and
 *             nothing reads the field: it is where a budget would.
 *
 * fn NULL: nothing to do (PONG: hearing it is all, idle_heard).  A command
 * not listed gets 421 ERR_UNKNOWNCOMMAND, or 451 before registration.
 * Nineteen entries: a linear search, as fast as the lookup of a hash.
 */
typedef struct gate_command {
	const char *name;
	void (*fn)(gate_client *c, const irc_msg *m);
	enum gate_when when;
	int min, max;
	int cost;
} gate_command;

#define ANY IRC_MAX_PARAMS

static const gate_command commands[] = {
	/* registration */
	{"PASS", gate_pass, GATE_UNREG, 1, ANY, 1},
	{"NICK", gate_nick, GATE_ANY, 0, ANY, 1},
	{"USER", gate_user, GATE_UNREG, 4, ANY, 1},
	{"CAP", gate_cap, GATE_ANY, 0, ANY, 1},
	/* the connection */
	{"PING", on_ping, GATE_ANY, 0, ANY, 1},
	{"PONG", NULL, GATE_ANY, 0, ANY, 1},
	{"QUIT", on_quit, GATE_ANY, 0, ANY, 1},
	/* the channel */
	{"JOIN", on_join, GATE_REG, 1, ANY, 1},
	{"PART", on_part, GATE_REG, 0, ANY, 1},
	{"NAMES", on_names, GATE_REG, 0, ANY, 1},
	{"WHO", on_who, GATE_REG, 0, ANY, 1},
	{"MODE", on_mode, GATE_REG, 1, ANY, 1},
	{"TOPIC", on_topic, GATE_REG, 0, ANY, 1},
	{"LIST", on_list, GATE_REG, 0, ANY, 1},
	{"KICK", on_kick, GATE_REG, 0, ANY, 1},
	/* chat */
	{"PRIVMSG", on_say, GATE_REG, 0, ANY, 1},
	{"NOTICE", on_say, GATE_REG, 0, ANY, 1},
	/* the rest */
	{"MOTD", gate_motd, GATE_REG, 0, ANY, 1},
	{"WHOIS", on_whois, GATE_REG, 0, ANY, 1},
};

#undef ANY

static const gate_command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
gate_line(gate_client *c, const char *line, size_t len)
{
	irc_msg m;
	const gate_command *k;

	if (len == 0)
		return;
	if (!irc_parse(line, len, &m)) {
		gate_sendf(c, ":%s NOTICE * :malformed line ignored", c->g->name);
		return;
	}
	k = find_command(m.command);
	if ((k == NULL || k->when == GATE_REG) && !c->registered)
		gate_reply(c, IRC_ERR_NOTREGISTERED, ":You have not registered");
	else if (k == NULL)
		gate_reply(c, IRC_ERR_UNKNOWNCOMMAND, "%s :Unknown command", m.command);
	else if (k->when == GATE_UNREG && c->registered)
		gate_reply(c, IRC_ERR_ALREADYREGISTRED, ":You may not reregister");
	else if (m.nparams < k->min)
		gate_reply(c, IRC_ERR_NEEDMOREPARAMS, "%s :Not enough parameters", k->name);
	else if (m.nparams > k->max)
		gate_reply(c, IRC_ERR_NEEDMOREPARAMS, "%s :Too many parameters", k->name);
	else if (k->fn)
		k->fn(c, &m);
}
