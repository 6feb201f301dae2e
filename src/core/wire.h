/*
 * wire — the peer protocol's frame codec.
 *
 * A frame is a 4-byte big-endian body length followed by the body; the body
 * starts with a version byte and a type byte, then the type's fields in a
 * fixed order and byte order.  Strings are a 16-bit length and the bytes.
 * Every length has a hard cap, checked before anything is copied.
 *
 * Decoding is a pure function over (buf, len): it never allocates and never
 * reads past len; strings in a decoded message point into the caller's
 * buffer and stay valid as long as it does.  Encoding appends to a growable
 * wire_buf owned by the caller.
 */
#ifndef CHORUS_WIRE_H
#define CHORUS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_VERSION 1
#define WIRE_HEADER 4
#define WIRE_MAX_BODY (64 * 1024)
#define WIRE_MAX_TEXT 4096
#define WIRE_MAX_NICK 32
#define WIRE_MAX_HOST 64
#define WIRE_MAX_MEMBERS 128
#define WIRE_MAX_VECTOR 256     /* authors in one heartbeat (a longer vector is paged) */
#define WIRE_MAX_TAGS 256       /* recipients in one REPORT, reports in one RELAY */
#define WIRE_MORE 0x8000        /* in a MEMBERS' or HEARTBEAT's count: more follow */
#define WIRE_SIG_CHAIN 32
#define WIRE_SIG_PK 32
#define WIRE_SIG_SIG 64

/* The message types; X-macro keeps names and codes in step. */
#define WIRE_TYPES(X)          \
	X(HELLO, 1, "hello")   \
	X(MEMBERS, 2, "members") \
	X(HEARTBEAT, 3, "heartbeat") \
	X(LEAVE, 4, "leave")   \
	X(CHAT, 5, "chat")     \
	X(REJECT, 6, "reject") \
	X(STATUS, 7, "status") \
	X(PULL, 8, "pull")     \
	X(SIG, 9, "sig")       \
	X(PROVE, 10, "prove")  \
	X(REPORT, 11, "report") \
	X(RELAY, 12, "relay")

enum wire_type {
#define WIRE_ENUM(name, code, str) WIRE_##name = code,
	WIRE_TYPES(WIRE_ENUM)
#undef WIRE_ENUM
};

/* Errors are negative; 0 or positive is success. */
enum wire_error {
	WIRE_ETRUNC = -1,   /* a field runs past the end of the body */
	WIRE_ETOOBIG = -2,  /* length prefix above WIRE_MAX_BODY, or zero */
	WIRE_EVERSION = -3, /* unknown protocol version */
	WIRE_ETYPE = -4,    /* unknown message type */
	WIRE_ELIMIT = -5,   /* a field is longer than its cap */
	WIRE_ETRAILING = -6 /* bytes left after the last field */
};

/* Member status as carried by gossip. */
enum wire_status { WIRE_ACTIVE = 0, WIRE_LEFT = 1, WIRE_REJECTED = 2 };

/* Why a peer is refused. */
enum wire_reason { WIRE_NICK_TAKEN = 1, WIRE_REMOVED = 2 /* nick: by whom */ };

typedef struct wire_str {
	const char *ptr; /* not NUL-terminated; points into the frame */
	size_t len;
} wire_str;

typedef struct wire_member {
	uint64_t id;
	uint64_t inc; /* incarnation: seniority, and a restart's new self */
	uint8_t status;
	wire_str nick;
	wire_str host; /* empty: use the address the link came from */
	uint16_t port;
} wire_member;

/* One author's entry in a heartbeat's version vector. */
typedef struct wire_have {
	uint64_t id;
	uint64_t seq;   /* the highest sequence held, all before it too */
	uint8_t live;   /* the sender counts this author as a live member */
} wire_have;

/* A clock report's tag for one recipient (relay.h). */
typedef struct wire_tag {
	uint64_t to;
	uint64_t tag;
} wire_tag;

/* A clock report passed on: author's, tagged for the frame's recipient. */
typedef struct wire_relayed {
	uint64_t author;
	uint64_t hlc;
	uint64_t seq;
	uint64_t tag;
} wire_relayed;

typedef struct wire_msg {
	uint8_t type;
	union {
		wire_member hello; /* status is always WIRE_ACTIVE */
		struct {
			size_t count;
			bool more;       /* the table goes on in the next MEMBERS */
			wire_member entry[WIRE_MAX_MEMBERS];
		} members;
		struct {
			uint64_t digest; /* of the member table */
			uint64_t hlc;    /* the sender's clock ... */
			uint64_t seq;    /* ... and its last sequence number */
			size_t count;
			bool more;       /* the vector goes on in the next heartbeat */
			wire_have have[WIRE_MAX_VECTOR];
		} heartbeat;
		struct {
			uint64_t hlc;
			uint64_t seq;
		} status;
		struct {
			uint64_t sender;
			uint64_t from;
			uint64_t to;
		} pull;
		struct {
			uint64_t hlc;  /* as a STATUS's, ... */
			uint64_t seq;
			size_t count;  /* ... tagged for each of these recipients */
			wire_tag tag[WIRE_MAX_TAGS];
		} report;
		struct {
			size_t count;
			wire_relayed entry[WIRE_MAX_TAGS];
		} relay;
		struct {
			const uint8_t *pk;    /* 32 */
			const uint8_t *proof; /* 64: the sender's signature of the binding */
		} prove;
		struct {
			uint64_t sender;
			uint64_t seq;
			const uint8_t *chain; /* 32 bytes; into the frame when decoded */
			const uint8_t *pk;    /* 32 */
			const uint8_t *sig;   /* 64 */
		} sig;
		struct {
			uint64_t inc;
		} leave;
		struct {
			uint64_t sender;
			uint64_t seq;
			uint64_t hlc;
			uint8_t kind;  /* enum hist_kind */
			wire_str nick;
			wire_str text;
		} chat;
		struct {
			uint8_t reason;
			wire_str nick;
		} reject;
	} u;
} wire_msg;

/* A growable output buffer.  Zero-initialise; free with wire_buf_free. */
typedef struct wire_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
} wire_buf;

void wire_buf_free(wire_buf *b);
void wire_buf_reset(wire_buf *b);

/*
 * Look for one whole frame at the start of buf.  Returns 1 and sets
 * *frame_len (header included) when a frame is complete, 0 when more bytes
 * are needed, WIRE_ETOOBIG when the length prefix is zero or above the cap.
 */
int wire_frame_split(const uint8_t *buf, size_t len, size_t *frame_len);

/* Decode one frame body (the bytes after the length prefix). */
int wire_decode(const uint8_t *body, size_t len, wire_msg *out);

/* Append one whole frame (length prefix included) to out. */
void wire_encode(wire_buf *out, const wire_msg *msg);

const char *wire_strerror(int err);
const char *wire_type_name(int type);

/* Build a wire_str over a NUL-terminated C string. */
wire_str wire_cstr(const char *s);

#endif
