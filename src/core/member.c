/* member — see member.h. */
#include "member.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
member_table_free(member_table *t)
{
	free(t->v);
	idmap_free(&t->index);
	*t = (member_table){0};
}

static void
copy_str(char *dst, size_t cap, wire_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

static member *
append(member_table *t, uint64_t id)
{
	t->v = xgrow(t->v, t->len, &t->cap, 8, sizeof *t->v);
	idmap_put(&t->index, id, t->len);
	member *m = &t->v[t->len++];
	*m = (member){.id = id};
	t->gen++;
	return m;
}

member *
member_add_self(member_table *t, uint64_t id, uint64_t inc, const char *nick,
		const char *host, uint16_t port)
{
	member *m = append(t, id);

	m->inc = inc;
	m->self = true;
	m->state = MEMBER_ALIVE;
	m->shown = true;
	copy_str(m->nick, sizeof m->nick, wire_cstr(nick));
	copy_str(m->host, sizeof m->host, wire_cstr(host));
	m->port = port;
	return m;
}

member *
member_self(member_table *t)
{
	return &t->v[0];
}

member *
member_find(member_table *t, uint64_t id)
{
	int i = idmap_find(&t->index, id);

	return i < 0 ? NULL : &t->v[i];
}

static member_state
state_of(uint8_t status)
{
	switch (status) {
	case WIRE_LEFT: return MEMBER_LEFT;
	case WIRE_REJECTED: return MEMBER_REJECTED;
	default: return MEMBER_PENDING;
	}
}

bool
member_tombstone(member_state s)
{
	return s == MEMBER_LEFT || s == MEMBER_REJECTED;
}

static void
take_entry(member *m, const wire_member *e)
{
	m->id = e->id;
	m->inc = e->inc;
	copy_str(m->nick, sizeof m->nick, e->nick);
	if (e->host.len)
		copy_str(m->host, sizeof m->host, e->host);
	if (e->port)
		m->port = e->port;
}

member_change
member_merge(member_table *t, const wire_member *e, member **out, member_state *to)
{
	member *m = member_find(t, e->id);
	member_state heard = state_of(e->status);

	*out = m;
	if (m == NULL) {
		m = append(t, e->id);
		take_entry(m, e);
		m->state = *to = heard; /* born in it: no transition */
		*out = m;
		return MEMBER_ADDED;
	}
	*to = m->state;
	if (m->self || e->inc < m->inc)
		return MEMBER_SAME;
	if (e->inc > m->inc) {
		take_entry(m, e);
		t->gen++;
		if (member_tombstone(heard)) {
			*to = heard;
			return MEMBER_DEPARTED;
		}
		if (member_tombstone(m->state))
			*to = MEMBER_PENDING;
		return MEMBER_RESTARTED;
	}
	/* Same incarnation: only a tombstone can add news. */
	if (member_tombstone(heard) && !member_tombstone(m->state)) {
		*to = heard;
		return MEMBER_DEPARTED;
	}
	if (e->host.len && !member_tombstone(m->state))
		copy_str(m->host, sizeof m->host, e->host);
	return MEMBER_SAME;
}

bool
member_live(const member *m)
{
	return m->self || m->state == MEMBER_ALIVE;
}

int
member_senior(const member *a, const member *b)
{
	if (a->inc != b->inc)
		return a->inc < b->inc ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

const member *
member_leader(const member_table *t)
{
	const member *best = &t->v[0];

	for (int i = 1; i < t->len; i++)
		if (member_live(&t->v[i]) && member_senior(&t->v[i], best) < 0)
			best = &t->v[i];
	return best;
}

int
member_count_live(const member_table *t)
{
	int n = 0;

	for (int i = 0; i < t->len; i++)
		n += member_live(&t->v[i]);
	return n;
}

static bool
claims_nick(const member *m)
{
	return m->self || (!member_tombstone(m->state) && !member_recalled(m));
}

member *
member_nick_loser(member_table *t)
{
	for (int i = 0; i < t->len; i++) {
		member *a = &t->v[i];
		if (!claims_nick(a))
			continue;
		for (int j = i + 1; j < t->len; j++) {
			member *b = &t->v[j];
			if (claims_nick(b) &&
			    nick_same(a->nick, b->nick))
				return member_senior(a, b) < 0 ? b : a;
		}
	}
	return NULL;
}

uint8_t
member_wire_status(const member *m)
{
	if (m->state == MEMBER_LEFT)
		return WIRE_LEFT;
	if (m->state == MEMBER_REJECTED)
		return WIRE_REJECTED;
	return WIRE_ACTIVE;
}

/*
 * Order-independent digest: a sum of per-entry mixes, so that two tables
 * holding the same entries in different orders agree.
 */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
member_digest(const member_table *t)
{
	uint64_t d = 0;

	for (int i = 0; i < t->len; i++) {
		const member *m = &t->v[i];
		if (!member_recalled(m))
			d += mix(m->id ^ mix(m->inc ^ mix(member_wire_status(m) + 1)));
	}
	return d;
}

void
member_gossip(const member_table *t, wire_msg *msg, int *from)
{
	size_t n = 0;
	int i;

	msg->type = WIRE_MEMBERS;
	for (i = *from; i < t->len && n < WIRE_MAX_MEMBERS; i++) {
		const member *m = &t->v[i];
		if (member_recalled(m))
			continue;
		msg->u.members.entry[n++] = (wire_member){
			.id = m->id, .inc = m->inc, .status = member_wire_status(m),
			.nick = wire_cstr(m->nick), .host = wire_cstr(m->host),
			.port = m->port};
	}
	while (i < t->len && member_recalled(&t->v[i]))
		i++;
	*from = i;
	msg->u.members.count = n;
	msg->u.members.more = i < t->len;
}

bool
member_recalled(const member *m)
{
	return m->inc == 0 && !m->self;
}
