/*
 * node_cmd — the user's side of the core: the commands typed at the
 * prompt, and where the events go: to the node's user (io.event), or to
 * the front end's user who asked (node_ask).  A chat line goes to the
 * history (node_hist.c, node_submit).
 */
#include "node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

/* As much of the list as a line can show (event.h): some 400 nicks. */
typedef struct user_list {
	char s[EVENT_ESCAPED_MAX];
	size_t o;
} user_list;

static void
list_one(void *arg, const char *nick, bool leader, bool silenced, bool is_guest)
{
	user_list *u = arg;

	(void)is_guest;
	if (u->o >= sizeof u->s)
		return;
	u->o += (size_t)snprintf(u->s + u->o, sizeof u->s - u->o, "%s%s%s%s", u->o ? ", " : "",
				 nick, leader ? " (leader)" : "", silenced ? " (silenced)" : "");
}

void
node_cmd_each_user(const node *n, node_user_fn *fn, void *arg)
{
	uint64_t *ids = xmalloc((size_t)n->members.len * sizeof *ids);
	int k = node_members(n, ids, n->members.len);
	uint64_t leader = node_leader(n);

	for (int i = 0; i < k; i++) {
		const member *m = member_find((member_table *)&n->members, ids[i]);
		fn(arg, m->nick, m->id == leader, node_is_silenced(n, m->id), false);
	}
	free(ids);
	node_each_guest(n, fn, arg);
}

void
node_emit_users(node *n)
{
	user_list u;

	u.o = 0;
	u.s[0] = '\0';
	node_each_user(n, list_one, &u);
	node_emit(n, EVENT_USERS, NULL, u.s);
}

static void
emit_state(node *n)
{
	char s[512], digest[33];
	const member *leader = member_leader(&n->members);
	const char *phase = !node_in_chat(n) ? "joining" :
			    node_caught_up(n) ? "member" : "catching-up";

	node_hist_digest(n, digest);
	snprintf(s, sizeof s,
		 "nick=%s id=%016llx role=%s leader=%s members=%d silenced=%d phase=%s "
		 "messages=%llu checksum=%s",
		 n->nick, (unsigned long long)n->cfg.id,
		 leader->self ? "leader" : "follower", leader->nick,
		 member_count_live(&n->members), node_mod_silenced_count(n), phase,
		 (unsigned long long)node_hist_count(n), digest);
	node_emit(n, EVENT_STATE, NULL, s);
}

static void
emit_checksum(node *n)
{
	char s[128], digest[33];

	node_hist_digest(n, digest);
	snprintf(s, sizeof s, "count=%llu digest=%s", (unsigned long long)node_hist_count(n),
		 digest);
	node_emit(n, EVENT_CHECKSUM, NULL, s);
}

/* \history [N]: N from 1 to 100000, 20 when absent. */
static void
history(node *n, const cmd *c)
{
	long count = c->arg_len ? 0 : NODE_SHOW_HISTORY;

	for (size_t i = 0; i < c->arg_len && count <= 100000; i++) {
		if (c->arg[i] < '0' || c->arg[i] > '9') {
			count = 0;
			break;
		}
		count = count * 10 + (c->arg[i] - '0');
	}
	if (count < 1 || count > 100000) {
		node_emit(n, EVENT_ERROR, NULL, "usage: \\history [N], N from 1 to 100000");
		return;
	}
	node_hist_history(n, (int)count);
}

void
node_event(node *n, const event *ev)
{
	if (n->ask.answer)
		n->ask.answer(n->ask.arg, ev);
	else
		n->io.event(n->io.ctx, ev);
}

void
node_cmd_ask(node *n, uint64_t now, const char *line, size_t len, node_answer_fn *answer,
	     void *arg)
{
	cmd_kind kind = cmd_parse(line, len).kind;

	if (kind == CMD_NONE || kind == CMD_MESSAGE || kind == CMD_QUIT)
		return; /* not a command */
	n->ask.answer = answer;
	n->ask.arg = arg;
	node_cmd_input(n, now, line, len);
	n->ask.answer = NULL;
	n->ask.arg = NULL;
}

void
node_cmd_input(node *n, uint64_t now, const char *line, size_t len)
{
	cmd c = cmd_parse(line, len);
	char s[128];

	if (n->phase == PHASE_DONE)
		return;
#ifdef CHORUS_INSIDER
	if (insider_input(n, now, line, len))
		return;
#endif
	switch (c.kind) {
	case CMD_NONE: break;
	case CMD_MESSAGE: node_submit(n, now, line, len); break;
	case CMD_QUIT: node_leave(n, now); break;
	case CMD_LIST_USERS: node_emit_users(n); break;
	case CMD_CURRENT_LEADER:
		node_emit(n, EVENT_CURRENT_LEADER, member_leader(&n->members)->nick, NULL);
		break;
	case CMD_IS_LEADER:
		node_emit(n, EVENT_IS_LEADER, NULL, member_leader(&n->members)->self ? "yes" : "no");
		break;
	case CMD_STATE: emit_state(n); break;
	case CMD_CHECKSUM: emit_checksum(n); break;
	case CMD_HELP:
		for (int i = 0; cmd_help[i]; i++)
			node_emit(n, EVENT_HELP, NULL, cmd_help[i]);
		break;
	case CMD_SILENCE: node_mod_command(n, now, MOD_SILENCE, c.arg, c.arg_len); break;
	case CMD_UNSILENCE: node_mod_command(n, now, MOD_UNSILENCE, c.arg, c.arg_len); break;
	case CMD_REMOVE: node_mod_command(n, now, MOD_REMOVE, c.arg, c.arg_len); break;
	case CMD_READMIT: node_mod_command(n, now, MOD_READMIT, c.arg, c.arg_len); break;
	case CMD_HISTORY: history(n, &c); break;
	case CMD_UNKNOWN:
		snprintf(s, sizeof s, "unknown command: %.*s", (int)(c.arg_len > 64 ? 64 : c.arg_len),
			 c.arg);
		node_emit(n, EVENT_ERROR, NULL, s);
		break;
	}
}
