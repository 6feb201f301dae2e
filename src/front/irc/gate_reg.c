/*
 * gate_reg — registration, the part of what IRC clients send that comes
 * before the channel: PASS (the chat's secret), CAP (server-time,
 * echo-message, message-tags), NICK and USER; the welcome (001-005 and
 * the MOTD) once all are there, and why a nick is refused, as IRC.
 * gate_cmd.c's table calls the handlers, its checks done.
 */
#include "gate_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "irc_num.h"

#define CAPS "server-time echo-message message-tags"

void
gate_motd(gate_client *c, const irc_msg *m)
{
	(void)m;
	gate_reply(c, IRC_RPL_MOTDSTART, ":- %s message of the day -", c->g->name);
	gate_reply(c, IRC_RPL_MOTD, ":- This is a Chorus node: every line in %s is stored by every",
		   c->g->channel);
	gate_reply(c, IRC_RPL_MOTD, ":- node and shown in the same order everywhere.  Type \\help in");
	gate_reply(c, IRC_RPL_MOTD, ":- the channel for the node's commands.");
	gate_reply(c, IRC_RPL_ENDOFMOTD, ":End of /MOTD command.");
}

static void
welcome(gate_client *c)
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
	gate_motd(c, NULL);
}

/* Why the core refuses a nick, as IRC. */
void
gate_refused(gate_client *c, const char *nick, int rc)
{
	switch (rc) {
	case NODE_GUEST_BAD_NICK:
		gate_reply(c, IRC_ERR_ERRONEUSNICKNAME,
			   "%s :Erroneous nickname (1-32 letters, digits, - or _)", nick);
		break;
	case NODE_GUEST_REMOVED:
		gate_reply(c, IRC_ERR_YOUREBANNEDCREEP,
			   ":You are banned from this chat (removed by its leader)");
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
try_register(gate_client *c)
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
		gate_refused(c, nick, rc);
		return;
	}
	welcome(c);
}

void
gate_pass(gate_client *c, const irc_msg *m)
{
	uint8_t check[SECRET_CHECK];

	secret_check_of(m->params[0].ptr, m->params[0].len, check);
	if (sodium_memcmp(check, c->g->cfg.check, sizeof check) != 0)
		return;
	if (c->g->cfg.need_pass)
		idle_proved(&c->life); /* no stranger: no flood pushes it out */
	c->pass_ok = true;
}

void
gate_nick(gate_client *c, const irc_msg *m)
{
	char nick[64];

	if (m->nparams < 1 || m->params[0].len == 0) {
		gate_reply(c, IRC_ERR_NONICKNAMEGIVEN, ":No nickname given");
		return;
	}
	gate_param(m, 0, nick, sizeof nick);
	if (c->joined) {
		gate_reply(c, IRC_ERR_NONICKCHANGE, ":Cannot change nickname while in %s (a nick is a user)",
			   c->g->channel);
		return;
	}
	int rc = node_guest_check(c->g->core, nick);
	if (rc != NODE_GUEST_OK && (rc != NODE_GUEST_NOT_READY || c->registered)) {
		gate_refused(c, nick, rc);
		return;
	}
	if (c->registered)
		gate_sendf(c, ":%s!%s@chorus NICK :%s", c->nick, c->nick, nick);
	snprintf(c->nick, sizeof c->nick, "%.*s", NICK_MAX, nick);
	try_register(c);
}

void
gate_user(gate_client *c, const irc_msg *m)
{
	(void)m;
	c->have_user = true;
	try_register(c);
}

static bool
cap_known(irc_str w, gate_client *c, bool set)
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

void
gate_cap(gate_client *c, const irc_msg *m)
{
	char sub[16], list[512];
	const char *nick = c->nick[0] ? c->nick : "*";

	gate_param(m, 0, sub, sizeof sub);
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
		gate_param(m, 1, list, sizeof list);
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
