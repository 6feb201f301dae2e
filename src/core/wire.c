/* wire — see wire.h.  Field-by-field big-endian codec, bounds-checked. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "xalloc.h"

/* --- output ------------------------------------------------------------ */

void
wire_buf_free(wire_buf *b)
{
	free(b->data);
	*b = (wire_buf){0};
}

void
wire_buf_reset(wire_buf *b)
{
	b->len = 0;
}

static uint8_t *
put_space(wire_buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

static void
put_be(wire_buf *b, uint64_t v, int bytes)
{
	be_put(put_space(b, (size_t)bytes), v, (size_t)bytes);
}

static void
put_u8(wire_buf *b, uint8_t v)
{
	put_be(b, v, 1);
}

static void
put_u64(wire_buf *b, uint64_t v)
{
	put_be(b, v, 8);
}

/* Strings longer than cap are cut: the encoder never emits an invalid frame. */
static void
put_str(wire_buf *b, wire_str s, size_t cap)
{
	size_t len = s.len < cap ? s.len : cap;

	put_be(b, len, 2);
	if (len)
		memcpy(put_space(b, len), s.ptr, len);
}

static void
put_bytes(wire_buf *b, const uint8_t *p, size_t n)
{
	memcpy(put_space(b, n), p, n);
}

static void
put_member(wire_buf *b, const wire_member *m)
{
	put_u64(b, m->id);
	put_u64(b, m->inc);
	put_u8(b, m->status);
	put_str(b, m->nick, WIRE_MAX_NICK);
	put_str(b, m->host, WIRE_MAX_HOST);
	put_be(b, m->port, 2);
}

static void
put_report(wire_buf *b, const wire_msg *msg)
{
	size_t n = msg->u.report.count < WIRE_MAX_TAGS ? msg->u.report.count : WIRE_MAX_TAGS;

	put_u64(b, msg->u.report.hlc);
	put_u64(b, msg->u.report.seq);
	put_be(b, n, 2);
	for (size_t i = 0; i < n; i++) {
		put_u64(b, msg->u.report.tag[i].to);
		put_u64(b, msg->u.report.tag[i].tag);
	}
}

static void
put_relay(wire_buf *b, const wire_msg *msg)
{
	size_t n = msg->u.relay.count < WIRE_MAX_TAGS ? msg->u.relay.count : WIRE_MAX_TAGS;

	put_be(b, n, 2);
	for (size_t i = 0; i < n; i++) {
		const wire_relayed *e = &msg->u.relay.entry[i];
		put_u64(b, e->author);
		put_u64(b, e->hlc);
		put_u64(b, e->seq);
		put_u64(b, e->tag);
	}
}

static void
put_fields(wire_buf *b, const wire_msg *msg)
{
	switch (msg->type) {
	case WIRE_HELLO:
		put_member(b, &msg->u.hello);
		break;
	case WIRE_MEMBERS: {
		size_t n = msg->u.members.count;
		if (n > WIRE_MAX_MEMBERS)
			n = WIRE_MAX_MEMBERS;
		put_be(b, n | (msg->u.members.more ? WIRE_MORE : 0), 2);
		for (size_t i = 0; i < n; i++)
			put_member(b, &msg->u.members.entry[i]);
		break;
	}
	case WIRE_HEARTBEAT: {
		size_t n = msg->u.heartbeat.count;
		if (n > WIRE_MAX_VECTOR)
			n = WIRE_MAX_VECTOR;
		put_u64(b, msg->u.heartbeat.digest);
		put_u64(b, msg->u.heartbeat.hlc);
		put_u64(b, msg->u.heartbeat.seq);
		put_be(b, n | (msg->u.heartbeat.more ? WIRE_MORE : 0), 2);
		for (size_t i = 0; i < n; i++) {
			put_u64(b, msg->u.heartbeat.have[i].id);
			put_u64(b, msg->u.heartbeat.have[i].seq);
			put_u8(b, msg->u.heartbeat.have[i].live);
		}
		break;
	}
	case WIRE_STATUS:
		put_u64(b, msg->u.status.hlc);
		put_u64(b, msg->u.status.seq);
		break;
	case WIRE_REPORT:
		put_report(b, msg);
		break;
	case WIRE_RELAY:
		put_relay(b, msg);
		break;
	case WIRE_PULL:
		put_u64(b, msg->u.pull.sender);
		put_u64(b, msg->u.pull.from);
		put_u64(b, msg->u.pull.to);
		break;
	case WIRE_PROVE:
		put_bytes(b, msg->u.prove.pk, WIRE_SIG_PK);
		put_bytes(b, msg->u.prove.proof, WIRE_SIG_SIG);
		break;
	case WIRE_SIG:
		put_u64(b, msg->u.sig.sender);
		put_u64(b, msg->u.sig.seq);
		put_bytes(b, msg->u.sig.chain, WIRE_SIG_CHAIN);
		put_bytes(b, msg->u.sig.pk, WIRE_SIG_PK);
		put_bytes(b, msg->u.sig.sig, WIRE_SIG_SIG);
		break;
	case WIRE_LEAVE:
		put_u64(b, msg->u.leave.inc);
		break;
	case WIRE_CHAT:
		put_u64(b, msg->u.chat.sender);
		put_u64(b, msg->u.chat.seq);
		put_u64(b, msg->u.chat.hlc);
		put_u8(b, msg->u.chat.kind);
		put_str(b, msg->u.chat.nick, WIRE_MAX_NICK);
		put_str(b, msg->u.chat.text, WIRE_MAX_TEXT);
		break;
	case WIRE_REJECT:
		put_u8(b, msg->u.reject.reason);
		put_str(b, msg->u.reject.nick, WIRE_MAX_NICK);
		break;
	}
}

void
wire_encode(wire_buf *out, const wire_msg *msg)
{
	size_t start = out->len;

	put_be(out, 0, WIRE_HEADER); /* patched below */
	put_u8(out, WIRE_VERSION);
	put_u8(out, msg->type);
	put_fields(out, msg);

	size_t body = out->len - start - WIRE_HEADER;
	be_put32(out->data + start, (uint32_t)body);
}

/* --- input ------------------------------------------------------------- */

/* A read cursor; every get_* fails cleanly once the body is exhausted. */
typedef struct cursor {
	const uint8_t *p;
	size_t left;
	int err;
} cursor;

static uint64_t
get_be(cursor *c, int bytes)
{
	uint64_t v;

	if (c->err)
		return 0;
	if (c->left < (size_t)bytes) {
		c->err = WIRE_ETRUNC;
		return 0;
	}
	v = be_get(c->p, (size_t)bytes);
	c->p += bytes;
	c->left -= (size_t)bytes;
	return v;
}

static wire_str
get_str(cursor *c, size_t cap)
{
	wire_str s = {"", 0};
	size_t len = (size_t)get_be(c, 2);

	if (c->err)
		return s;
	if (len > cap) {
		c->err = WIRE_ELIMIT;
		return s;
	}
	if (len > c->left) {
		c->err = WIRE_ETRUNC;
		return s;
	}
	s.ptr = (const char *)c->p;
	s.len = len;
	c->p += len;
	c->left -= len;
	return s;
}

/* n bytes in place, or NULL (and the error set) when they run out. */
static const uint8_t *
get_bytes(cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->err)
		return NULL;
	if (c->left < n) {
		c->err = WIRE_ETRUNC;
		return NULL;
	}
	c->p += n;
	c->left -= n;
	return p;
}

static void
get_member(cursor *c, wire_member *m)
{
	m->id = get_be(c, 8);
	m->inc = get_be(c, 8);
	m->status = (uint8_t)get_be(c, 1);
	m->nick = get_str(c, WIRE_MAX_NICK);
	m->host = get_str(c, WIRE_MAX_HOST);
	m->port = (uint16_t)get_be(c, 2);
	if (!c->err && m->status > WIRE_REJECTED)
		c->err = WIRE_ELIMIT;
}

static void
get_heartbeat(cursor *c, wire_msg *msg)
{
	size_t n;

	msg->u.heartbeat.digest = get_be(c, 8);
	msg->u.heartbeat.hlc = get_be(c, 8);
	msg->u.heartbeat.seq = get_be(c, 8);
	n = (size_t)get_be(c, 2);
	msg->u.heartbeat.more = (n & WIRE_MORE) != 0;
	n &= ~(size_t)WIRE_MORE;
	if (!c->err && n > WIRE_MAX_VECTOR)
		c->err = WIRE_ELIMIT;
	for (size_t i = 0; i < n && !c->err; i++) {
		wire_have *h = &msg->u.heartbeat.have[i];
		h->id = get_be(c, 8);
		h->seq = get_be(c, 8);
		h->live = (uint8_t)get_be(c, 1);
	}
	msg->u.heartbeat.count = c->err ? 0 : n;
}

/* A count of at most WIRE_MAX_TAGS entries. */
static size_t
get_count(cursor *c)
{
	size_t n = (size_t)get_be(c, 2);

	if (!c->err && n > WIRE_MAX_TAGS)
		c->err = WIRE_ELIMIT;
	return c->err ? 0 : n;
}

static void
get_report(cursor *c, wire_msg *msg)
{
	size_t n;

	msg->u.report.hlc = get_be(c, 8);
	msg->u.report.seq = get_be(c, 8);
	n = get_count(c);
	for (size_t i = 0; i < n && !c->err; i++) {
		msg->u.report.tag[i].to = get_be(c, 8);
		msg->u.report.tag[i].tag = get_be(c, 8);
	}
	msg->u.report.count = c->err ? 0 : n;
}

static void
get_relay(cursor *c, wire_msg *msg)
{
	size_t n = get_count(c);

	for (size_t i = 0; i < n && !c->err; i++) {
		wire_relayed *e = &msg->u.relay.entry[i];
		e->author = get_be(c, 8);
		e->hlc = get_be(c, 8);
		e->seq = get_be(c, 8);
		e->tag = get_be(c, 8);
	}
	msg->u.relay.count = c->err ? 0 : n;
}

static void
get_fields(cursor *c, wire_msg *msg)
{
	switch (msg->type) {
	case WIRE_HELLO:
		get_member(c, &msg->u.hello);
		break;
	case WIRE_MEMBERS: {
		size_t n = (size_t)get_be(c, 2);
		msg->u.members.more = (n & WIRE_MORE) != 0;
		n &= ~(size_t)WIRE_MORE;
		if (!c->err && n > WIRE_MAX_MEMBERS)
			c->err = WIRE_ELIMIT;
		for (size_t i = 0; i < n && !c->err; i++)
			get_member(c, &msg->u.members.entry[i]);
		msg->u.members.count = c->err ? 0 : n;
		break;
	}
	case WIRE_HEARTBEAT:
		get_heartbeat(c, msg);
		break;
	case WIRE_STATUS:
		msg->u.status.hlc = get_be(c, 8);
		msg->u.status.seq = get_be(c, 8);
		break;
	case WIRE_REPORT:
		get_report(c, msg);
		break;
	case WIRE_RELAY:
		get_relay(c, msg);
		break;
	case WIRE_PULL:
		msg->u.pull.sender = get_be(c, 8);
		msg->u.pull.from = get_be(c, 8);
		msg->u.pull.to = get_be(c, 8);
		break;
	case WIRE_PROVE:
		msg->u.prove.pk = get_bytes(c, WIRE_SIG_PK);
		msg->u.prove.proof = get_bytes(c, WIRE_SIG_SIG);
		break;
	case WIRE_SIG:
		msg->u.sig.sender = get_be(c, 8);
		msg->u.sig.seq = get_be(c, 8);
		msg->u.sig.chain = get_bytes(c, WIRE_SIG_CHAIN);
		msg->u.sig.pk = get_bytes(c, WIRE_SIG_PK);
		msg->u.sig.sig = get_bytes(c, WIRE_SIG_SIG);
		break;
	case WIRE_LEAVE:
		msg->u.leave.inc = get_be(c, 8);
		break;
	case WIRE_CHAT:
		msg->u.chat.sender = get_be(c, 8);
		msg->u.chat.seq = get_be(c, 8);
		msg->u.chat.hlc = get_be(c, 8);
		msg->u.chat.kind = (uint8_t)get_be(c, 1);
		msg->u.chat.nick = get_str(c, WIRE_MAX_NICK);
		msg->u.chat.text = get_str(c, WIRE_MAX_TEXT);
		break;
	case WIRE_REJECT:
		msg->u.reject.reason = (uint8_t)get_be(c, 1);
		msg->u.reject.nick = get_str(c, WIRE_MAX_NICK);
		break;
	default:
		c->err = WIRE_ETYPE;
	}
}

int
wire_frame_split(const uint8_t *buf, size_t len, size_t *frame_len)
{
	if (len < WIRE_HEADER)
		return 0;
	size_t body = be_get32(buf);
	if (body == 0 || body > WIRE_MAX_BODY)
		return WIRE_ETOOBIG;
	if (len - WIRE_HEADER < body)
		return 0;
	*frame_len = WIRE_HEADER + body;
	return 1;
}

int
wire_decode(const uint8_t *body, size_t len, wire_msg *out)
{
	cursor c = {body, len, 0};

	if (len > WIRE_MAX_BODY)
		return WIRE_ETOOBIG;
	if (get_be(&c, 1) != WIRE_VERSION)
		return c.err ? c.err : WIRE_EVERSION;
	out->type = (uint8_t)get_be(&c, 1);
	if (c.err)
		return c.err;
	get_fields(&c, out);
	if (c.err)
		return c.err;
	return c.left ? WIRE_ETRAILING : 0;
}

const char *
wire_strerror(int err)
{
	switch (err) {
	case WIRE_ETRUNC: return "truncated frame";
	case WIRE_ETOOBIG: return "frame length out of bounds";
	case WIRE_EVERSION: return "unknown protocol version";
	case WIRE_ETYPE: return "unknown message type";
	case WIRE_ELIMIT: return "field over its limit";
	case WIRE_ETRAILING: return "trailing bytes after message";
	default: return "no error";
	}
}

const char *
wire_type_name(int type)
{
	switch (type) {
#define WIRE_NAME(name, code, str) \
	case code:                 \
		return str;
		WIRE_TYPES(WIRE_NAME)
#undef WIRE_NAME
	default:
		return "unknown";
	}
}

wire_str
wire_cstr(const char *s)
{
	return (wire_str){s, strlen(s)};
}
