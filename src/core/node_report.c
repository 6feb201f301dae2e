/*
 * node_report — how our clock reports reach the members, and how we pass
 * on those the seniors are given (relay.h says why, and how they are
 * tagged).
 *
 * In a chat of fewer than relay_from other live members, our report is a
 * STATUS to every member at the end of each batch that took records in,
 * as it always was.  In a larger one it is a REPORT to one of the seniors
 * (node_beat.c), to each in turn, at most one every NODE_REPORT_MS, tagged
 * for every live member we share a key with; a senior puts its own
 * straight into its relay.  (A senior that drops what it is given delays
 * one report in nseniors, and heartbeats still carry our clock.)
 *
 * Whoever holds REPORTs passes them on NODE_RELAY_MS after the first
 * came: one RELAY (or a few, for more than WIRE_MAX_TAGS authors) to each
 * live member.  A member takes a relayed report as if its author had sent
 * it, once the tag holds; one that tells it nothing new (another senior's
 * copy, an old one) costs no tag check.  A report whose author did not tag
 * us (it did not know us yet) is not passed to us: the next one will be,
 * and heartbeats carry reports too.
 */
#include "node_int.h"

#include <stdlib.h>

_Static_assert(sizeof ((member *)0)->pair == RELAY_KEY, "a member holds a pair key");

/* Whether our reports go through the seniors: the chat is large. */
static bool
relaying(const node *n)
{
	unsigned from = n->cfg.relay_from ? n->cfg.relay_from : NODE_RELAY_FROM;
	int others = 0;

	for (int i = 1; i < n->members.len; i++)
		others += member_live(&n->members.v[i]);
	return (unsigned)others >= from;
}

void
node_report_pair(node *n, member *m, const uint8_t pk[SIGN_PK])
{
	if (!m->paired)
		m->paired = relay_pair_key(m->pair, n->history.pk, n->history.sk, pk);
}

void
node_report_free(node *n)
{
	relay_free(&n->reports.relay);
	free(n->reports.msg);
}

/*
 * A page of author's REPORT, to pass on: held with the tags for members
 * we know (a member tags only members, so the rest are a liar's).
 */
static void
hold(node *n, uint64_t now, uint64_t author, const wire_msg *r)
{
	wire_tag known[WIRE_MAX_TAGS];
	size_t k = 0;

	for (size_t i = 0; i < r->u.report.count; i++) {
		const member *m = member_find(&n->members, r->u.report.tag[i].to);
		if (m && m->id != author)
			known[k++] = r->u.report.tag[i];
	}
	relay_take(&n->reports.relay, author, r->u.report.hlc, r->u.report.seq, known, k);
	if (n->reports.relay_at == 0)
		n->reports.relay_at = now + NODE_RELAY_MS;
}

/* A page of our REPORT: into our relay when we are a senior, else to them. */
static void
page_out(node *n, uint64_t now, const wire_msg *r)
{
	if (n->beats.self_senior) {
		hold(n, now, n->cfg.id, r);
		return;
	}
	for (int k = 0; k < n->beats.nseniors; k++) {
		int i = (int)(n->reports.turn++ % (unsigned)n->beats.nseniors);
		const member *s = member_find(&n->members, n->beats.seniors[i]);
		if (s && !s->self && node_link_to(n, s->id)) {
			node_send_to(n, s, r);
			return;
		}
	}
}

/*
 * A REPORT's tags or a RELAY's entries, in pages of WIRE_MAX_TAGS: a full
 * page goes out before the next entry, the last one at page_end.
 */
typedef struct pager {
	node *n;
	uint64_t now;
	const member *to; /* a RELAY's recipient (a REPORT goes by page_out) */
	wire_msg *msg;
	size_t *count;    /* the page's count of entries */
} pager;

static void
page_send(const pager *p)
{
	if (p->msg->type == WIRE_RELAY)
		node_send_to(p->n, p->to, p->msg);
	else
		page_out(p->n, p->now, p->msg);
}

/* The place of the next entry in the page. */
static size_t
page_slot(pager *p)
{
	if (*p->count == WIRE_MAX_TAGS) {
		page_send(p);
		*p->count = 0;
	}
	return (*p->count)++;
}

static void
page_end(const pager *p)
{
	if (*p->count)
		page_send(p);
}

/* Our report, tagged for every live member we are paired with. */
static void
report(node *n, uint64_t now, uint64_t hlc, uint64_t seq)
{
	const member *self = member_self(&n->members);
	wire_msg *r = n->reports.msg;
	pager p = {.n = n, .now = now, .msg = r, .count = &r->u.report.count};

	r->type = WIRE_REPORT;
	r->u.report.hlc = hlc;
	r->u.report.seq = seq;
	r->u.report.count = 0;
	for (int i = 1; i < n->members.len; i++) {
		const member *m = &n->members.v[i];
		if (m->state != MEMBER_ALIVE || !m->paired)
			continue;
		wire_tag *t = &r->u.report.tag[page_slot(&p)];
		t->to = m->id;
		t->tag = relay_report_tag(m->pair, self->id, self->inc, m->id, hlc, seq);
	}
	page_end(&p);
}

void
node_report_due(node *n, uint64_t now)
{
	const hist_author *own = hist_author_find(&n->history.hist, n->cfg.id);
	uint64_t hlc = node_clock_latest(n), seq = own ? own->seq : 0;

	if (!n->history.ack_due)
		return;
	if (!relaying(n)) {
		wire_msg st = {.type = WIRE_STATUS};
		n->history.ack_due = false;
		st.u.status.hlc = hlc;
		st.u.status.seq = seq;
		node_broadcast(n, &st);
		return;
	}
	if (n->reports.sent_at && now < n->reports.sent_at + NODE_REPORT_MS)
		return; /* node_report_wake_at says when */
	n->history.ack_due = false;
	n->reports.sent_at = now;
	report(n, now, hlc, seq);
}

void
node_report_on_report(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	member *m = member_find(&n->members, l->peer);

	node_hist_report(n, now, m, msg->u.report.hlc, msg->u.report.seq);
	hold(n, now, m->id, msg);
}

/* The reports held that were tagged for to, in RELAYs to it. */
static void
relay_to(node *n, uint64_t now, const member *to)
{
	wire_msg *r = n->reports.msg;
	const relay *held = &n->reports.relay;
	pager p = {.n = n, .now = now, .to = to, .msg = r, .count = &r->u.relay.count};

	r->type = WIRE_RELAY;
	r->u.relay.count = 0;
	for (int i = 0; i < held->len; i++) {
		const report_held *h = &held->v[i];
		uint64_t tag;
		if (h->author == to->id || !relay_tag(h, to->id, &tag))
			continue;
		r->u.relay.entry[page_slot(&p)] =
			(wire_relayed){.author = h->author, .hlc = h->hlc, .seq = h->seq, .tag = tag};
	}
	page_end(&p);
}

void
node_relay_flush(node *n, uint64_t now)
{
	if (n->reports.relay_at == 0 || now < n->reports.relay_at)
		return;
	for (int i = 1; i < n->members.len; i++)
		if (n->members.v[i].state == MEMBER_ALIVE)
			relay_to(n, now, &n->members.v[i]);
	relay_clear(&n->reports.relay);
	n->reports.relay_at = 0;
}

void
node_report_on_relay(node *n, uint64_t now, peer_link *l, const wire_msg *msg)
{
	const member *self = member_self(&n->members);
	int bad = 0;

	for (size_t i = 0; i < msg->u.relay.count; i++) {
		const wire_relayed *e = &msg->u.relay.entry[i];
		member *m = member_find(&n->members, e->author);
		if (m == NULL || m->self || m->state != MEMBER_ALIVE || !m->paired)
			continue; /* not a member we can check */
		if (!hist_report_news(&n->history.hist, m->id, e->hlc, e->seq))
			continue;
		if (relay_report_tag(m->pair, m->id, m->inc, self->id, e->hlc, e->seq) != e->tag) {
			bad++; /* forged, changed, or from another incarnation */
			continue;
		}
		node_clock_report(n, now, m, e->hlc);
		hist_report(&n->history.hist, m->id, e->hlc, e->seq);
	}
	if (bad)
		node_log(n, NODE_LOG_VERBOSE, "%d relayed report(s) from %s fail their tags", bad,
			 l->host);
}

uint64_t
node_report_wake_at(const node *n)
{
	uint64_t at = n->reports.relay_at;

	if (n->history.ack_due && n->reports.sent_at && relaying(n)) {
		uint64_t due = n->reports.sent_at + NODE_REPORT_MS;
		if (at == 0 || due < at)
			at = due;
	}
	return at;
}
