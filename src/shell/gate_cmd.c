/*
 * gate_cmd — what IRC clients send to the gateway: registration (PASS,
 * CAP, NICK, USER), the channel (JOIN, PART, NAMES, WHO, TOPIC, MODE,
 * LIST, KICK), chat (PRIVMSG, NOTICE, and the node's \ commands), and the
 * rest (PING, MOTD, WHOIS, QUIT).  docs/irc.md lists the replies.
 */
#include "gate_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "guest.h"
#include "hist.h"
#include "irc_num.h"
#include "mod.h"

#define CAPS "server-time echo-message message-tags"
#define TOPIC "Chorus: one replicated, totally ordered chat"

static const char *
param(const irc_msg *m, int i, char *buf, size_t cap)
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

/* --- registration ------------------------------------------------------------ */

static void
motd(client *c)
{
	gate_reply(c, IRC_RPL_MOTDSTART, ":- %s message of the day -", c->g->name);
	gate_reply(c, IRC_RPL_MOTD, ":- This is a Chorus node: every line in %s is stored by every",
		   c->g->channel);
	gate_reply(c, IRC_RPL_MOTD, ":- node and shown in the same order everywhere.  Type \\help in");
	gate_reply(c, IRC_RPL_MOTD, ":- the channel for the node's commands.");
	gate_reply(c, IRC_RPL_ENDOFMOTD, ":End of /MOTD command.");
}

static void
welcome(client *c)
{
	gate *g = c->g;

	if (!gate_registered(c))
		return;
	gate_reply(c, IRC_RPL_WELCOME, ":Welcome to the Chorus chat, %s", c->nick);
	gate_reply(c, IRC_RPL_YOURHOST, ":Your host is %s, running chorus-" CHORUS_VERSION, g->name);
	gate_reply(c, IRC_RPL_CREATED, ":This server is a node of a replicated chat");
	gate_reply(c, IRC_RPL_MYINFO, "%s chorus-" CHORUS_VERSION " i nt", g->name);
	gate_reply(c, IRC_RPL_ISUPPORT, "CASEMAPPING=ascii CHANTYPES=# CHANNELLEN=%d NICKLEN=%d "
		   "PREFIX=(o)@ CHANMODES=b,,,nt MAXTARGETS=1 NETWORK=Chorus "
		   ":are supported by this server", GATE_NAME_MAX, NICK_MAX);
	motd(c);
}

/* Why the core refuses a nick, as IRC. */
static void
nick_refused(client *c, const char *nick, int rc)
{
	switch (rc) {
	case NODE_GUEST_BAD_NICK:
		gate_reply(c, IRC_ERR_ERRONEUSNICKNAME,
			   "%s :Erroneous nickname (1-32 letters, digits, - or _)", nick);
		break;
	case NODE_GUEST_REMOVED:
		gate_reply(c, IRC_ERR_YOUREBANNEDCREEP, ":You are banned from this chat (removed by its leader)");
		gate_sendf(c, "ERROR :Closing link: removed");
		gate_drop(c, "removed");
		break;
	case NODE_GUEST_NOT_READY:
		gate_sendf(c, "ERROR :Closing link: the node is not in the chat yet");
		gate_drop(c, "not ready");
		break;
	default:
		gate_reply(c, IRC_ERR_NICKNAMEINUSE, "%s :Nickname is already in use", nick);
		break;
	}
}

static void
try_register(client *c)
{
	if (c->registered || c->cap_open || !c->have_user || !c->nick[0])
		return;
	if (!c->pass_ok) {
		gate_reply(c, IRC_ERR_PASSWDMISMATCH, ":Password incorrect (PASS is the chat's secret)");
		gate_sendf(c, "ERROR :Closing link: authentication failed");
		gate_drop(c, "authentication failed");
		return;
	}
	int rc = node_guest_check(c->g->core, c->nick);
	if (rc != NODE_GUEST_OK) {
		char nick[NICK_MAX + 1];
		snprintf(nick, sizeof nick, "%s", c->nick);
		c->nick[0] = '\0';
		nick_refused(c, nick, rc);
		return;
	}
	welcome(c);
}

static void
on_pass(client *c, const irc_msg *m)
{
	uint8_t check[SECRET_CHECK];

	if (c->registered) {
		gate_reply(c, IRC_ERR_ALREADYREGISTRED, ":You may not reregister");
		return;
	}
	if (m->nparams < 1)
		return;
	secret_check_of(m->params[0].ptr, m->params[0].len, check);
	if (sodium_memcmp(check, c->g->cfg.check, sizeof check) != 0)
		return;
	if (c->g->cfg.need_pass)
		idle_proved(&c->life); /* no stranger: no flood pushes it out */
	c->pass_ok = true;
}

static void
on_nick(client *c, const irc_msg *m)
{
	char nick[64];

	if (m->nparams < 1 || m->params[0].len == 0) {
		gate_reply(c, IRC_ERR_NONICKNAMEGIVEN, ":No nickname given");
		return;
	}
	param(m, 0, nick, sizeof nick);
	if (c->joined) {
		gate_reply(c, IRC_ERR_NONICKCHANGE, ":Cannot change nickname while in %s (a nick is a user)",
			   c->g->channel);
		return;
	}
	int rc = node_guest_check(c->g->core, nick);
	if (rc != NODE_GUEST_OK && (rc != NODE_GUEST_NOT_READY || c->registered)) {
		nick_refused(c, nick, rc);
		return;
	}
	if (c->registered)
		gate_sendf(c, ":%s!%s@chorus NICK :%s", c->nick, c->nick, nick);
	snprintf(c->nick, sizeof c->nick, "%.*s", NICK_MAX, nick);
	try_register(c);
}

static void
on_user(client *c, const irc_msg *m)
{
	if (c->registered) {
		gate_reply(c, IRC_ERR_ALREADYREGISTRED, ":You may not reregister");
		return;
	}
	if (m->nparams < 4) {
		gate_reply(c, IRC_ERR_NEEDMOREPARAMS, "USER :Not enough parameters");
		return;
	}
	c->have_user = true;
	try_register(c);
}

static bool
cap_known(irc_str w, client *c, bool set)
{
	bool off = w.len && w.ptr[0] == '-';
	irc_str name = {w.ptr + off, w.len - off};
	bool *flag = irc_is(name, "server-time") ? &c->cap_time :
		     irc_is(name, "echo-message") ? &c->cap_echo :
		     irc_is(name, "message-tags") ? &c->cap_tags : NULL;

	if (flag && set)
		*flag = !off;
	return flag != NULL;
}

static void
on_cap(client *c, const irc_msg *m)
{
	char sub[16], list[512];
	const char *nick = c->nick[0] ? c->nick : "*";

	param(m, 0, sub, sizeof sub);
	if (irc_is(m->params[0], "LS")) {
		c->cap_open = !c->registered;
		gate_sendf(c, ":%s CAP %s LS :" CAPS, c->g->name, nick);
	} else if (irc_is(m->params[0], "LIST")) {
		gate_sendf(c, ":%s CAP %s LIST :%s%s%s", c->g->name, nick,
			   c->cap_time ? "server-time " : "", c->cap_echo ? "echo-message " : "",
			   c->cap_tags ? "message-tags" : "");
	} else if (irc_is(m->params[0], "REQ")) {
		bool ok = true;
		const char *p;
		param(m, 1, list, sizeof list);
		c->cap_open = !c->registered;
		for (p = list; *p && ok;) { /* all or nothing: check, then set */
			irc_str w = {p, strcspn(p, " ")};
			ok = w.len == 0 || cap_known(w, c, false);
			p += w.len + (p[w.len] == ' ');
		}
		for (p = list; *p && ok;) {
			irc_str w = {p, strcspn(p, " ")};
			cap_known(w, c, true);
			p += w.len + (p[w.len] == ' ');
		}
		gate_sendf(c, ":%s CAP %s %s :%s", c->g->name, nick, ok ? "ACK" : "NAK", list);
	} else if (irc_is(m->params[0], "END")) {
		c->cap_open = false;
		try_register(c);
	} else {
		gate_reply(c, IRC_ERR_INVALIDCAPCMD, "%s :Invalid CAP command", sub);
	}
}

/* --- the channel ----------------------------------------------------------------- */

typedef struct names {
	client *c;
	char line[IRC_MAX_LINE];
	size_t o;
	int count;
	bool who;
} names;

static void
name_one(void *arg, const char *nick, bool leader, bool silenced, bool is_guest)
{
	names *s = arg;
	client *c = s->c;

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

void
gate_names(client *c)
{
	names s = {.c = c};

	node_each_user(c->g->core, name_one, &s);
	if (s.o)
		gate_reply(c, IRC_RPL_NAMREPLY, "= %s :%s", c->g->channel, s.line);
	gate_reply(c, IRC_RPL_ENDOFNAMES, "%s :End of /NAMES list.", c->g->channel);
}

typedef struct replay {
	client *c;
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
replay_missed(client *c, uint64_t since)
{
	replay p = {c, since, 0, 0};

	node_shown_key(c->g->core, &p.shown_hlc, &p.shown_sender);
	gate_sendf(c, ":%s NOTICE %s :replaying what was said while you were away", c->g->name,
		   c->nick);
	store_recent(c->g->st, GATE_REPLAY, replay_one, &p);
}

static void
on_join(client *c, const irc_msg *m)
{
	gate *g = c->g;
	uint64_t since;

	if (m->nparams < 1) {
		gate_reply(c, IRC_ERR_NEEDMOREPARAMS, "JOIN :Not enough parameters");
		return;
	}
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
		nick_refused(c, c->nick, rc);
		return;
	}
	c->joined = true;
	gate_sendf(c, ":%s!%s@chorus JOIN %s", c->nick, c->nick, g->channel);
	gate_reply(c, IRC_RPL_TOPIC, "%s :" TOPIC, g->channel);
	gate_names(c);
	if (since)
		replay_missed(c, since);
}

static void
on_part(client *c, const irc_msg *m)
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
on_who(client *c, const irc_msg *m)
{
	names s = {.c = c, .who = true};
	char mask[64];

	param(m, 0, mask, sizeof mask);
	if (m->nparams > 0 && is_channel(c->g, m->params[0]))
		node_each_user(c->g->core, name_one, &s);
	gate_reply(c, IRC_RPL_ENDOFWHO, "%s :End of /WHO list.", mask[0] ? mask : "*");
}

static void
on_mode(client *c, const irc_msg *m)
{
	gate *g = c->g;

	if (m->nparams < 1) {
		gate_reply(c, IRC_ERR_NEEDMOREPARAMS, "MODE :Not enough parameters");
	} else if (irc_is(m->params[0], c->nick)) {
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
on_topic(client *c, const irc_msg *m)
{
	if (m->nparams < 1 || !is_channel(c->g, m->params[0]))
		gate_reply(c, IRC_ERR_NOSUCHCHANNEL, "* :No such channel");
	else if (m->nparams > 1)
		gate_reply(c, IRC_ERR_CHANOPRIVSNEEDED, "%s :The topic is fixed", c->g->channel);
	else
		gate_reply(c, IRC_RPL_TOPIC, "%s :" TOPIC, c->g->channel);
}

static void
on_list(client *c)
{
	names s = {.c = c, .who = false};

	node_each_user(c->g->core, name_one, &s); /* counts; the 353 lines are not sent */
	gate_reply(c, IRC_RPL_LISTSTART, "Channel :Users  Name");
	gate_reply(c, IRC_RPL_LIST, "%s %d :" TOPIC, c->g->channel, s.count);
	gate_reply(c, IRC_RPL_LISTEND, ":End of /LIST");
}

/* --- chat ------------------------------------------------------------------------ */

/* A \ command typed in the channel: answered to this client alone. */
static void
command(client *c, const cmd *k, const char *text, size_t len)
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
		g->capture = c; /* the core answers through events: they are c's */
		node_input(g->core, gate_now(g), text, len);
		g->capture = NULL;
	}
}

static void
say(client *c, const irc_msg *m, bool notice)
{
	gate *g = c->g;
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

/* --- dispatch --------------------------------------------------------------------- */

static void
on_quit(client *c)
{
	gate_sendf(c, "ERROR :Closing link (quit)");
	gate_drop(c, "quit");
}

static void
registered_command(client *c, const irc_msg *m)
{
	const char *k = m->command;
	char a[64];

	if (!strcmp(k, "JOIN")) on_join(c, m);
	else if (!strcmp(k, "PART")) on_part(c, m);
	else if (!strcmp(k, "PRIVMSG")) say(c, m, false);
	else if (!strcmp(k, "NOTICE")) say(c, m, true);
	else if (!strcmp(k, "NAMES")) gate_names(c);
	else if (!strcmp(k, "WHO")) on_who(c, m);
	else if (!strcmp(k, "MODE")) on_mode(c, m);
	else if (!strcmp(k, "TOPIC")) on_topic(c, m);
	else if (!strcmp(k, "LIST")) on_list(c);
	else if (!strcmp(k, "MOTD")) motd(c);
	else if (!strcmp(k, "KICK"))
		gate_reply(c, IRC_ERR_CHANOPRIVSNEEDED, "%s :Only the leader's node removes users (!remove)",
			   c->g->channel);
	else if (!strcmp(k, "WHOIS")) {
		param(m, m->nparams > 1, a, sizeof a);
		gate_reply(c, IRC_RPL_WHOISUSER, "%s %s chorus * :%s", a, a, a);
		gate_reply(c, IRC_RPL_ENDOFWHOIS, "%s :End of /WHOIS list.", a);
	} else
		gate_reply(c, IRC_ERR_UNKNOWNCOMMAND, "%s :Unknown command", k);
}

void
gate_line(client *c, const char *line, size_t len)
{
	irc_msg m;
	char a[IRC_MAX_LINE];

	if (len == 0)
		return;
	if (!irc_parse(line, len, &m)) {
		gate_sendf(c, ":%s NOTICE * :malformed line ignored", c->g->name);
		return;
	}
	if (!strcmp(m.command, "PING"))
		gate_sendf(c, ":%s PONG %s :%s", c->g->name, c->g->name, param(&m, 0, a, sizeof a));
	else if (!strcmp(m.command, "PONG"))
		return;
	else if (!strcmp(m.command, "QUIT"))
		on_quit(c);
	else if (!strcmp(m.command, "CAP"))
		on_cap(c, &m);
	else if (!strcmp(m.command, "PASS"))
		on_pass(c, &m);
	else if (!strcmp(m.command, "NICK"))
		on_nick(c, &m);
	else if (!strcmp(m.command, "USER"))
		on_user(c, &m);
	else if (!c->registered)
		gate_reply(c, IRC_ERR_NOTREGISTERED, ":You have not registered");
	else
		registered_command(c, &m);
}
