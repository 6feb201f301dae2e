/*
 * node_link — the node core's links: which link leads to which member or
 * seed, sending on them, dialling the members and seeds that want a link,
 * and forgetting a link whichever way it ends (one path, so that member
 * and seed bookkeeping cannot drift).  Part of the core: no I/O here, only
 * the node_io callbacks.
 */
#include "node_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "xalloc.h"

void
node_link_seeds(node *n, const node_config *cfg)
{
	node_links *k = &n->links;

	for (int i = 0; i < cfg->nseeds && k->nseeds < NODE_MAX_SEEDS; i++) {
		node_seed *s = &k->seeds[k->nseeds];
		const char *colon = strrchr(cfg->seeds[i], ':');
		if (colon == NULL || (size_t)(colon - cfg->seeds[i]) > WIRE_MAX_HOST)
			continue;
		snprintf(s->host, sizeof s->host, "%.*s", (int)(colon - cfg->seeds[i]),
			 cfg->seeds[i]);
		s->port = (uint16_t)atoi(colon + 1);
		s->backoff = NODE_BACKOFF_MIN;
		k->nseeds++;
	}
}

bool
node_link_add_seed(node *n, const char *host, uint16_t port)
{
	node_links *k = &n->links;

	if (k->nseeds == NODE_MAX_SEEDS || strlen(host) > WIRE_MAX_HOST || port == 0)
		return false;
	for (int i = 0; i < k->nseeds; i++)
		if (k->seeds[i].port == port && strcmp(k->seeds[i].host, host) == 0)
			return false;
	node_seed *s = &k->seeds[k->nseeds++];
	*s = (node_seed){.port = port, .backoff = NODE_BACKOFF_MIN};
	snprintf(s->host, sizeof s->host, "%s", host);
	return true;
}

bool
node_link_has_seeds(const node *n)
{
	return n->links.nseeds > 0;
}

bool
node_link_seeds_dialling(const node *n)
{
	for (int i = 0; i < n->links.nseeds; i++)
		if (n->links.seeds[i].link && !n->links.seeds[i].reached)
			return true;
	return false;
}

void
node_link_free(node *n)
{
	for (int i = 0; i < n->links.len; i++)
		free(n->links.v[i].told);
	free(n->links.v);
	n->links = (node_links){0};
}

peer_link *
node_link_at(node *n, int i)
{
	return i < n->links.len ? &n->links.v[i] : NULL;
}

peer_link *
node_link_opened(node *n, uint64_t now, uint32_t id, bool outgoing, const char *remote_host,
		 const uint8_t *binding)
{
	peer_link *l = node_link(n, id);

	if (l == NULL) {
		l = node_link_add(n, id, now);
		snprintf(l->host, sizeof l->host, "%s", remote_host);
	}
	l->up = true;
	l->outgoing = outgoing;
	if (binding)
		memcpy(l->binding, binding, sizeof l->binding);
	if (l->seed >= 0)
		n->links.seeds[l->seed].backoff = NODE_BACKOFF_MIN;
	node_log(n, NODE_LOG_VERBOSE, "link %u up (%s %s)", id,
		 outgoing ? "to" : "from", l->host);
	return l;
}

void
node_link_bind(node *n, peer_link *l, member *m, uint64_t inc)
{
	if (!l->peer) {
		l->peer = m->id;
		l->inc = inc;
		m->nlinks++;
	}
	if (l->target == m->id)
		m->connecting = false;
	if (l->seed >= 0 && n->cfg.seeds_are_peers)
		n->links.seeds[l->seed].reached = true; /* a member now: redialled as one */
}

void
node_link_greet_all(node *n)
{
	for (int i = 0; i < n->links.len; i++)
		node_greet(n, &n->links.v[i]);
}

peer_link *
node_link(node *n, uint32_t id)
{
	for (int i = 0; i < n->links.len; i++)
		if (n->links.v[i].id == id)
			return &n->links.v[i];
	return NULL;
}

peer_link *
node_link_add(node *n, uint32_t id, uint64_t now)
{
	n->links.v = xgrow(n->links.v, n->links.len, &n->links.cap, 8, sizeof *n->links.v);
	peer_link *l = &n->links.v[n->links.len++];
	*l = (peer_link){.id = id, .seed = -1, .since = now};
	return l;
}

peer_link *
node_link_to(node *n, uint64_t id)
{
	for (int i = 0; i < n->links.len; i++)
		if (n->links.v[i].up && n->links.v[i].peer == id)
			return &n->links.v[i];
	return NULL;
}

void
node_send(node *n, uint32_t link_id, const wire_msg *m)
{
	wire_buf_reset(&n->out);
	wire_encode(&n->out, m);
	n->io.send(n->io.ctx, link_id, n->out.data, n->out.len);
}

void
node_send_to(node *n, const member *m, const wire_msg *msg)
{
	peer_link *l = node_link_to(n, m->id);

	if (l)
		node_send(n, l->id, msg);
}

void
node_broadcast(node *n, const wire_msg *msg)
{
	wire_buf_reset(&n->out);
	wire_encode(&n->out, msg);
	for (int i = 1; i < n->members.len; i++) {
		peer_link *l = node_link_to(n, n->members.v[i].id);
		if (l)
			n->io.send(n->io.ctx, l->id, n->out.data, n->out.len);
	}
}

/* A link dialled for a seed is gone: while probing, retry with backoff. */
static void
seed_failed(node *n, peer_link *l, uint64_t now, const char *why)
{
	node_seed *s = l->seed >= 0 ? &n->links.seeds[l->seed] : NULL;

	if (s == NULL || s->link != l->id)
		return;
	s->link = 0;
	if (n->phase != PHASE_PROBE && !n->cfg.seeds_are_peers)
		return;
	node_log(n, NODE_LOG_ALWAYS, "cannot join through %s:%u (%s); retrying in %.1f s",
		 s->host, s->port, why, (double)s->backoff / 1000);
	s->next_try = now + s->backoff;
	s->backoff = backoff_next(s->backoff, NODE_BACKOFF_MAX * 2);
}

/*
 * Forget a link: unbind it from its member (a member left with no link is
 * lost at once), and from the seed or member it was dialled for.  Every
 * way a link ends (closed here, or down) comes through here.
 */
void
node_link_gone(node *n, peer_link *l, uint64_t now, const char *why)
{
	member *m = l->peer ? member_find(&n->members, l->peer) : NULL;

	seed_failed(n, l, now, why);
	if (m && l->up) {
		m->nlinks--;
		if (m->nlinks == 0 && m->state == MEMBER_ALIVE)
			node_member_set(n, m, MEMBER_LOST, MEMBER_UNLINKED);
	}
	node_hist_drop_unsigned(n, l->id);
	member *t = l->target ? member_find(&n->members, l->target) : NULL;
	if (t && t->connecting) {
		t->connecting = false;
		t->next_try = now + t->backoff;
		t->backoff = backoff_next(t->backoff, NODE_BACKOFF_MAX);
	}
	free(l->told);
	*l = n->links.v[--n->links.len];
}

void
node_close_link(node *n, peer_link *l)
{
	uint32_t id = l->id;

	node_link_gone(n, l, n->last_tick, "closed here");
	n->io.close(n->io.ctx, id);
}

void
node_close_member(node *n, member *m)
{
	for (int i = n->links.len - 1; i >= 0; i--)
		if (n->links.v[i].peer == m->id)
			node_close_link(n, &n->links.v[i]);
}

/*
 * Close the links bound to an earlier incarnation of m: what is still in
 * flight on them comes from a process that is gone, and must not be taken
 * for the new one's (its sequence numbers start again at 1).
 */
void
node_close_stale(node *n, const member *m)
{
	for (int i = n->links.len - 1; i >= 0; i--)
		if (n->links.v[i].peer == m->id && n->links.v[i].inc != m->inc)
			node_close_link(n, &n->links.v[i]);
}

void
node_dial_seeds(node *n, uint64_t now)
{
	for (int i = 0; i < n->links.nseeds; i++) {
		node_seed *s = &n->links.seeds[i];
		if (s->link || s->reached || now < s->next_try)
			continue;
		s->link = n->io.connect(n->io.ctx, s->host, s->port);
		peer_link *l = node_link_add(n, s->link, now);
		l->outgoing = true;
		l->seed = i;
		snprintf(l->host, sizeof l->host, "%s", s->host);
	}
}

static bool
wants_link(node *n, const member *m, uint64_t now)
{
	if (m->self || m->nlinks > 0 || m->connecting || now < m->next_try)
		return false;
	if (member_tombstone(m->state))
		return false;
	if (m->port == 0 || m->host[0] == '\0')
		return false;
	/*
	 * A joiner dials everyone; afterwards the lower id dials.  The higher
	 * id dials too once the member has been silent for a timeout: it may
	 * not know this node at all (the link broke before our HELLO got
	 * through), and then nobody else would.
	 */
	return n->phase == PHASE_JOINING || n->cfg.id < m->id ||
	       now - m->last_heard > n->cfg.timeout_ms;
}

void
node_dial_members(node *n, uint64_t now)
{
	for (int i = 1; i < n->members.len; i++) {
		member *m = &n->members.v[i];
		if (!wants_link(n, m, now))
			continue;
		m->connecting = true;
		if (m->backoff == 0)
			m->backoff = NODE_BACKOFF_MIN;
		uint32_t id = n->io.connect(n->io.ctx, m->host, m->port);
		peer_link *l = node_link_add(n, id, now);
		l->outgoing = true;
		l->target = m->id;
		snprintf(l->host, sizeof l->host, "%s", m->host);
	}
}

/*
 * A link that has not been bound by a HELLO within timeout-ms leads
 * nowhere: a host that accepted and then hung or lost power, or a
 * stranger who never speaks.  Close it, so that a joiner retries its seed
 * and a member dials again, instead of waiting on it forever.
 */
void
node_expire_links(node *n, uint64_t now)
{
	for (int i = n->links.len - 1; i >= 0; i--) {
		peer_link *l = &n->links.v[i];
		if (l->peer || now - l->since <= n->cfg.timeout_ms)
			continue;
		node_log(n, NODE_LOG_VERBOSE, "link %u to %s: no hello within %u ms", l->id,
			 l->host, n->cfg.timeout_ms);
		node_close_link(n, l);
	}
}

/* --- invariants (node_check.c) --------------------------------------------- */

int
node_link_up_to(const node *n, uint64_t id)
{
	int up = 0;

	for (int i = 0; i < n->links.len; i++)
		up += n->links.v[i].up && n->links.v[i].peer == id;
	return up;
}

bool
node_link_dialled(const node *n, uint64_t id)
{
	for (int i = 0; i < n->links.len; i++)
		if (n->links.v[i].target == id)
			return true;
	return false;
}

/*
 * Ids are not 0 (and, deep, unique); (deep) a bound link's member is in
 * the table; a seed's link is there and dialled for it.
 */
void
node_link_check(const node *n, bool deep)
{
	const node_links *k = &n->links;

	assert(k->len >= 0 && k->len <= k->cap);
	for (int i = 0; i < k->len; i++) {
		const peer_link *l = &k->v[i];
		assert(l->id != 0);
		assert(l->peer != n->cfg.id);
		assert(!deep || l->peer == 0 || member_find((member_table *)&n->members, l->peer));
		assert(l->seed >= -1 && l->seed < k->nseeds);
		assert(l->nserve >= 0 && l->nserve <= NODE_MAX_SERVE);
		for (int j = i + 1; deep && j < k->len; j++)
			assert(l->id != k->v[j].id);
	}
	for (int i = 0; i < k->nseeds; i++) {
		const node_seed *s = &k->seeds[i];
		bool found = false;
		for (int j = 0; j < k->len && s->link && !found; j++)
			found = k->v[j].id == s->link && k->v[j].seed == i;
		assert(s->link == 0 || found);
		(void)found;
	}
}
