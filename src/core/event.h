/*
 * event — what a node tells its user, and how each event reads as a line
 * (SPEC section 4).
 *
 * The core reports events as structured values; event_format turns one into
 * the exact line the SPEC prescribes.  Anything that came from the network
 * (chat text above all) is escaped here, so that control characters and
 * terminal escape sequences are never written as they are.
 */
#ifndef CHORUS_EVENT_H
#define CHORUS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/*
 * Room for what event_escape makes of a text of up to WIRE_MAX_TEXT bytes
 * (at most four bytes for each: \xHH), with its NUL; and for a whole line
 * of event_format: that, the nicks, the tags and a stamp around it.
 */
#define EVENT_ESCAPED_MAX (4 * WIRE_MAX_TEXT + 1)
#define EVENT_LINE_MAX    (EVENT_ESCAPED_MAX + 256)

/*
 * Each kind and its line.  RENAMED is chorus connect's alone (thin.c): the
 * gateway gave its user another nick after a clash; a node never prints it.
 */
#define EVENT_KINDS(X)                                    \
	X(JOIN, "[JOIN] %s joined the chat")              \
	X(LEAVE, "[LEAVE] %s left the chat")              \
	X(LOST, "[LOST] %s is unreachable")               \
	X(BACK, "[BACK] %s is reachable again")           \
	X(LEADER, "[LEADER] %s is the leader")            \
	X(USERS, "[USERS] %s")                            \
	X(CURRENT_LEADER, "[CURRENT_LEADER] %s")          \
	X(IS_LEADER, "[IS_LEADER] %s")                    \
	X(STATE, "[STATE] %s")                            \
	X(CHECKSUM, "[CHECKSUM] %s")                      \
	X(HELP, "%s")                                     \
	X(ERROR, "[ERROR] %s")                            \
	X(PENDING, "[PENDING] %s")                        \
	X(MESSAGE, "[%s] %s")                             \
	X(HISTORY, "[HISTORY] [%s] %s")                   \
	X(LATE, "[LATE %s] [%s] %s")                      \
	X(MOD, "[MOD] %s")                                \
	X(REMOVED, "[REMOVED] removed by %s")             \
	X(RENAMED, "[INFO] your nick was taken by another user; you are now %s")

typedef enum event_kind {
#define EVENT_ENUM(name, fmt) EVENT_##name,
	EVENT_KINDS(EVENT_ENUM)
#undef EVENT_ENUM
} event_kind;

typedef struct event {
	event_kind kind;
	const char *nick; /* the member concerned, or the sender */
	const char *text; /* the rest; for MESSAGE, raw bytes from the network */
	size_t text_len;
	uint64_t time;    /* sender's wall time in ms, for messages */
	const char *stamp; /* LATE: time as HH:MM:SS (the shell's local time);
			    * NULL: formatted from time, in UTC */
	/* For a record's line (messages, MOD): its history key, and whether it
	 * is shown out of its place (late). */
	uint64_t hlc;
	uint64_t sender;
	bool late;
} event;

/*
 * Write the event's line (no newline) into buf, NUL-terminated, cut to cap.
 * Returns the length written.
 */
size_t event_format(const event *ev, char *buf, size_t cap);

/*
 * Escape untrusted bytes for a terminal: printable ASCII and valid UTF-8
 * pass; control characters become \n, \r, \t, \e or \xHH; invalid UTF-8
 * bytes become \xHH.  Returns the length written (NUL-terminated, cut).
 */
size_t event_escape(const char *s, size_t len, char *buf, size_t cap);

/* Whether s is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
bool utf8_valid(const char *s, size_t len);

#endif
