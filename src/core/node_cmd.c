/*
 * node_cmd — the user's side of the core: commands typed at the prompt,
 * and the message path (submit, deliver).
 *
 * The message path is a direct broadcast over the mesh with per-sender
 * sequence numbers for dedup.  A member that had no link here when a
 * message went out (it was joining, or we had not heard of it yet) is
 * handed the messages it missed when its link comes up (node_catch_up).
 * It is kept to node_submit / node_deliver / node_catch_up so that the
 * replicated history can take their place.
 */
#include "node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

/* FNV-1a, folded into the running digest of shown messages. */
static uint64_t
fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * A message that arrives before this node printed its own [JOIN], [USERS]
 * and [LEADER] lines waits for them: the announce comes first (SPEC 4).
 */
static void
hold(node *n, const member *from, uint64_t seq, uint64_t time, const char *text,
     size_t len)
{
	if (n->ninbox == NODE_MAX_QUEUED) {
		node_log(n, NODE_LOG_ALWAYS, "too many messages before joining; one dropped");
		return;
	}
	n->inbox[n->ninbox++] = (held){from->id, seq, time, xstrndup(text, len), len};
}

void
node_deliver(node *n, const member *from, uint64_t seq, uint64_t time,
	     const char *text, size_t len)
{
	event ev = {.kind = EVENT_MESSAGE, .nick = from->nick, .text = text,
		    .text_len = len, .time = time};

	if (n->phase != PHASE_MEMBER) {
		hold(n, from, seq, time, text, len);
		return;
	}
	n->delivered++;
	n->digest = fnv(n->digest ? n->digest : 0xcbf29ce484222325ULL, &from->id, 8);
	n->digest = fnv(n->digest, &seq, 8);
	n->digest = fnv(n->digest, text, len);
	n->io.event(n->io.ctx, &ev);
}

/* Keep our message for members that are not linked yet; the oldest goes. */
static void
remember(node *n, uint64_t seq, uint64_t time, const char *text, size_t len)
{
	held *h;

	if (n->nsent == NODE_MAX_SENT) {
		h = &n->sent[n->sent_start];
		free(h->text);
		n->sent_start = (n->sent_start + 1) % NODE_MAX_SENT;
		n->nsent--;
	}
	h = &n->sent[(n->sent_start + n->nsent++) % NODE_MAX_SENT];
	*h = (held){n->cfg.id, seq, time, xstrndup(text, len), len};
}

static void
send_chat(node *n, uint64_t now, const char *text, size_t len)
{
	member *self = member_self(&n->members);
	wire_msg chat = {.type = WIRE_CHAT};

	chat.u.chat.sender = self->id;
	chat.u.chat.seq = ++n->seq;
	chat.u.chat.time = now;
	chat.u.chat.text = (wire_str){text, len};
	remember(n, chat.u.chat.seq, now, text, len);
	node_broadcast(n, &chat);
	for (int i = 1; i < n->members.len; i++)
		if (node_linked(n, &n->members.v[i]))
			n->members.v[i].sent_seq = chat.u.chat.seq;
	node_deliver(n, self, chat.u.chat.seq, chat.u.chat.time, text, len);
}

/*
 * m's link came up: hand it our messages it has not had, those sent since
 * its incarnation began (the ones before are history, not news to it).
 * It drops any it already has by their sequence numbers.
 */
void
node_catch_up(node *n, member *m)
{
	wire_msg chat = {.type = WIRE_CHAT};

	for (int i = 0; i < n->nsent; i++) {
		const held *h = &n->sent[(n->sent_start + i) % NODE_MAX_SENT];
		if (h->seq <= m->sent_seq)
			continue;
		if (h->time >= m->inc) {
			chat.u.chat.sender = n->cfg.id;
			chat.u.chat.seq = h->seq;
			chat.u.chat.time = h->time;
			chat.u.chat.text = (wire_str){h->text, h->len};
			node_send_to(n, m, &chat);
		}
		m->sent_seq = h->seq;
	}
}

void
node_submit(node *n, uint64_t now, const char *text, size_t len)
{
	if (len > WIRE_MAX_TEXT) {
		node_emit(n, EVENT_ERROR, NULL, "message too long");
		return;
	}
	if (n->phase == PHASE_MEMBER) {
		send_chat(n, now, text, len);
		return;
	}
	if (n->nqueue == NODE_MAX_QUEUED) {
		node_emit(n, EVENT_ERROR, NULL, "not joined yet and too many messages waiting");
		return;
	}
	n->queue[n->nqueue++] = (queued){xstrndup(text, len), len};
}

void
node_flush_queue(node *n, uint64_t now)
{
	for (int i = 0; i < n->nqueue; i++) {
		send_chat(n, now, n->queue[i].text, n->queue[i].len);
		free(n->queue[i].text);
	}
	n->nqueue = 0;
}

void
node_flush_held(node *n)
{
	for (int i = 0; i < n->ninbox; i++) {
		held *h = &n->inbox[i];
		node_deliver(n, member_find(&n->members, h->sender), h->seq, h->time, h->text,
			     h->len);
		free(h->text);
	}
	n->ninbox = 0;
}

void
node_emit_users(node *n)
{
	uint64_t ids[WIRE_MAX_MEMBERS];
	char list[WIRE_MAX_MEMBERS * (NICK_MAX + 12)];
	size_t o = 0;
	int k = node_members(n, ids, WIRE_MAX_MEMBERS);
	uint64_t leader = node_leader(n);

	list[0] = '\0';
	for (int i = 0; i < k; i++) {
		const member *m = member_find(&n->members, ids[i]);
		o += (size_t)snprintf(list + o, sizeof list - o, "%s%s%s", i ? ", " : "",
				      m->nick, m->id == leader ? " (leader)" : "");
	}
	node_emit(n, EVENT_USERS, NULL, list);
}

static void
emit_state(node *n)
{
	char s[512];
	const member *leader = member_leader(&n->members);
	const char *phase = n->phase == PHASE_MEMBER ? "member" : "joining";

	snprintf(s, sizeof s,
		 "nick=%s id=%016llx role=%s leader=%s members=%d phase=%s "
		 "messages=%llu checksum=%016llx",
		 n->nick, (unsigned long long)n->cfg.id,
		 leader->self ? "leader" : "follower", leader->nick,
		 member_count_live(&n->members), phase,
		 (unsigned long long)n->delivered, (unsigned long long)n->digest);
	node_emit(n, EVENT_STATE, NULL, s);
}

static void
emit_checksum(node *n)
{
	char s[128];

	snprintf(s, sizeof s, "count=%llu digest=%016llx",
		 (unsigned long long)n->delivered, (unsigned long long)n->digest);
	node_emit(n, EVENT_CHECKSUM, NULL, s);
}

static const char *
directive_name(cmd_kind k)
{
	return k == CMD_SILENCE ? "silence" : k == CMD_UNSILENCE ? "unsilence" : "remove";
}

static void
directive(node *n, const cmd *c)
{
	char s[128];

	if (!member_leader(&n->members)->self) {
		snprintf(s, sizeof s, "only the leader can %s", directive_name(c->kind));
		node_emit(n, EVENT_ERROR, NULL, s);
		return;
	}
	char nick[NICK_MAX + 1];
	snprintf(nick, sizeof nick, "%.*s", (int)(c->arg_len > NICK_MAX ? NICK_MAX : c->arg_len),
		 c->arg);
	if (c->arg_len == 0 || c->arg_len > NICK_MAX || !node_has_nick(n, nick)) {
		snprintf(s, sizeof s, "no such user: %.*s", (int)(c->arg_len > 64 ? 64 : c->arg_len),
			 c->arg);
		node_emit(n, EVENT_ERROR, NULL, s);
		return;
	}
	snprintf(s, sizeof s, "!%s is not available in this version", directive_name(c->kind));
	node_emit(n, EVENT_ERROR, NULL, s);
}

void
node_input(node *n, uint64_t now, const char *line, size_t len)
{
	cmd c = cmd_parse(line, len);
	char s[128];

	if (n->phase == PHASE_DONE)
		return;
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
	case CMD_SILENCE:
	case CMD_UNSILENCE:
	case CMD_REMOVE: directive(n, &c); break;
	case CMD_HISTORY:
		node_emit(n, EVENT_ERROR, NULL, "\\history needs the replicated history (not in this version)");
		break;
	case CMD_UNKNOWN:
		snprintf(s, sizeof s, "unknown command: %.*s", (int)(c.arg_len > 64 ? 64 : c.arg_len),
			 c.arg);
		node_emit(n, EVENT_ERROR, NULL, s);
		break;
	}
}
