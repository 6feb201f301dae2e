/*
 * node_query — node.h's questions about a node: who is in the chat and
 * who leads, what the history holds, what is shown, whether it is busy,
 * and when it wants its next tick.  Nothing here changes the node.
 */
#include "node_int.h"

#include <stdlib.h>

#include "xalloc.h"

void
node_assert_state(const node *n, bool deep)
{
	node_check_state(n, deep);
}

int
node_guest_check(node *n, const char *nick)
{
	return node_guest_may_join(n, nick);
}

void
node_each_user(const node *n, node_user_fn *fn, void *arg)
{
	node_cmd_each_user(n, fn, arg);
}

bool
node_line_of(node *n, const hist_rec *r, node_line *out)
{
	node_why why;

	return node_line_judge(n, r, out, &why);
}

int
node_recent(node *n, int count, hist_visit *fn, void *arg)
{
	return n->io.store_recent(n->io.ctx, count, fn, arg);
}

int
node_scan(node *n, hist_visit *fn, void *arg)
{
	return n->io.store_scan ? n->io.store_scan(n->io.ctx, fn, arg) : 0;
}

void
node_shown_key(const node *n, uint64_t *hlc, uint64_t *sender)
{
	node_show_last(n, hlc, sender);
}

uint64_t
node_backlog_until(const node *n)
{
	return node_show_since(n);
}

bool
node_is_silenced(const node *n, uint64_t id)
{
	return node_mod_silenced(n, id);
}

bool
node_busy(const node *n)
{
	return node_hist_busy(n);
}

bool
node_done(const node *n)
{
	return n->phase == PHASE_DONE;
}

bool
node_announced(const node *n)
{
	return node_in_chat(n);
}

uint64_t
node_leader(const node *n)
{
	return member_leader(&n->members)->id;
}

static int
by_seniority(const void *a, const void *b)
{
	return member_senior(*(const member *const *)a, *(const member *const *)b);
}

int
node_members(const node *n, uint64_t *ids, int cap)
{
	const member **live = xmalloc((size_t)n->members.len * sizeof *live);
	int k = 0;

	for (int i = 0; i < n->members.len; i++)
		if (member_live(&n->members.v[i]))
			live[k++] = &n->members.v[i];
	qsort(live, (size_t)k, sizeof live[0], by_seniority);
	for (int i = 0; i < k && i < cap; i++)
		ids[i] = live[i]->id;
	free(live);
	return k < cap ? k : cap;
}

bool
node_has_nick(const node *n, const char *nick)
{
	for (int i = 0; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (member_live(m) && nick_same(m->nick, nick))
			return true;
	}
	return false;
}

uint64_t
node_history_count(const node *n)
{
	return node_hist_count(n);
}

void
node_history_digest(const node *n, char *buf)
{
	node_hist_digest(n, buf);
}

/*
 * Half a heartbeat period, at most 100 ms: fine enough for timeouts judged
 * to SPEC 5.5's half second, and a wakeup of every idle node less often
 * (a tenth of a 100-node chat's idle CPU was ticks at 50 ms).  What must
 * happen sooner asks for it (node_wake_at).
 */
unsigned
node_tick_ms(const node *n)
{
	unsigned t = n->cfg.heartbeat_ms / 2;

	return t < 10 ? 10 : t > 100 ? 100 : t;
}
