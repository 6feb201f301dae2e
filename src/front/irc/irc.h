/*
 * irc — the IRC message codec of the gateway (RFC 1459/2812 framing with
 * IRCv3 message tags).
 *
 *   [@tags SPACE] [:prefix SPACE] command [params] [SPACE :trailing]
 *
 * irc_parse splits one line (without its CR LF) in place: the result
 * points into the line.  Commands are upper-cased copies.  Tag values are
 * left escaped; irc_tag finds one and unescapes it.
 *
 * Pure: no I/O.
 */
#ifndef CHORUS_IRC_H
#define CHORUS_IRC_H

#include <stdbool.h>
#include <stddef.h>

#define IRC_MAX_PARAMS 15
#define IRC_MAX_LINE 512        /* without tags, CR LF included (RFC 1459) */
#define IRC_MAX_TAGS 8191       /* the tags part (IRCv3) */
#define IRC_MAX_COMMAND 16

typedef struct irc_str {
	const char *ptr;
	size_t len;
} irc_str;

typedef struct irc_msg {
	irc_str tags;                 /* without the '@'; empty when none */
	irc_str prefix;               /* without the ':' */
	char command[IRC_MAX_COMMAND + 1];
	irc_str params[IRC_MAX_PARAMS];
	int nparams;
} irc_msg;

/* Parse a line; false when it has no command or is malformed. */
bool irc_parse(const char *line, size_t len, irc_msg *m);

/*
 * The value of tag key (e.g. "+chorus.dev/id"), unescaped into buf
 * (NUL-terminated, cut to cap).  True when the tag is there.
 */
bool irc_tag(const irc_msg *m, const char *key, char *buf, size_t cap);

/* Whether p equals s, ignoring ASCII case. */
bool irc_is(irc_str p, const char *s);

#endif
