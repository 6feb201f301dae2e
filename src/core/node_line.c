/*
 * node_line — which records are chat lines, and whose.
 *
 * One rule for every place a line is shown (the live display, [HISTORY],
 * \history, the IRC gateway's replay), so that what one way shows the
 * others do too, on every node alike:
 *
 *   - only HIST_CHAT and HIST_GUEST_CHAT records are lines;
 *   - a member's line is shown under its author's nick, never one the
 *     record chose: a record naming another nick is refused;
 *   - a guest's line counts only from a node that opened a session of that
 *     nick before it, in history order (a member cannot speak for an IRC
 *     user of another node without a guest join everyone holds), and never
 *     under a member's nick;
 *   - nothing from an author silenced at the line's place in history: by
 *     the directives that had come to count before it (mod_silenced_at),
 *     not by whatever this node happens to hold when it shows the line.
 *
 * Refused records stay in the history (every node holds the same records);
 * they are shown nowhere.
 */
#include "node_int.h"

#include <stdint.h>
#include <stdio.h>

/*
 * Whether r's author is not one we know as a member and another author
 * bound r's nick before it did, in history order: a stranger taking a nick
 * that is someone else's in the history.  Judged from the records alone,
 * not from which members this node happens to know of now: a member met
 * elsewhere (one side of a nick clash, the other side of a partition) is
 * judged alike by the nodes that have not heard of it yet.
 */
static bool
strangers_nick(node *n, const member *m, const hist_rec *r)
{
	const hist_author *first = node_hist_nick_first(n, r->nick);

	return m == NULL && first && first->id != r->sender;
}

/*
 * The nick a member's record is shown under: its author's.  The author's
 * nick is the one it is known by as a member (its own HELLO, or gossip of
 * it), else the one its first record bound (hist.h).  NULL, with why, when
 * the record names another nick.
 */
static const char *
author_nick(node *n, const hist_rec *r, node_why *why)
{
	const member *m = member_find(&n->members, r->sender);
	const hist_author *a = node_hist_author(n, r->sender);
	const char *bound = a && a->nick[0] ? a->nick : r->nick;

	if (!nick_same(r->nick, bound) || (m && !nick_same(r->nick, m->nick))) {
		if (!nick_same(r->nick, bound) && m && nick_same(r->nick, m->nick))
			snprintf(why->text, sizeof why->text,
				 "it names %s, and its author's first record named %s", r->nick, bound);
		else
			snprintf(why->text, sizeof why->text, "it names %s, its author is %s",
				 r->nick, m ? m->nick : bound);
		return NULL;
	}
	if (strangers_nick(n, m, r)) {
		snprintf(why->text, sizeof why->text,
			 "it names %s, which another author's records bound first", r->nick);
		return NULL;
	}
	return m ? m->nick : bound;
}

static bool
member_line(node *n, const hist_rec *r, node_line *out, node_why *why)
{
	if ((why->silenced = node_mod_silenced_at(n, r->sender, r))) {
		snprintf(why->text, sizeof why->text, "its author is silenced");
		return false;
	}
	if ((out->nick = author_nick(n, r, why)) == NULL)
		return false;
	out->text = r->text;
	out->len = r->len;
	out->tag = NULL;
	out->tag_len = 0;
	return true;
}

static bool
guest_line(node *n, const hist_rec *r, node_line *out, node_why *why)
{
	if (!guest_chat_parse(r->text, r->len, &out->tag, &out->tag_len, &out->text,
			      &out->len)) {
		snprintf(why->text, sizeof why->text, "it is not a guest line");
		return false;
	}
	if ((why->silenced = node_mod_silenced_at(n, guest_id(r->nick), r))) {
		snprintf(why->text, sizeof why->text, "the guest is silenced");
		return false;
	}
	if (node_has_nick(n, r->nick)) {
		snprintf(why->text, sizeof why->text, "it is a guest line under a member's nick");
		return false;
	}
	/* Its host's join is the host's earlier record: held whenever r is. */
	const guest *g = node_guest_hosted(n, r->sender, r->nick);
	if (g == NULL || g->first_hlc >= r->hlc) {
		snprintf(why->text, sizeof why->text, "its author never hosted that guest");
		return false;
	}
	out->nick = r->nick;
	return true;
}

bool
node_line_judge(node *n, const hist_rec *r, node_line *out, node_why *why)
{
	why->silenced = false;
	if (r->kind == HIST_CHAT)
		return member_line(n, r, out, why);
	if (r->kind == HIST_GUEST_CHAT)
		return guest_line(n, r, out, why);
	snprintf(why->text, sizeof why->text, "it is not a chat line");
	return false;
}
