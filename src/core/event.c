/* event — see event.h. */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (2–4), or 0 if there is none. */
static size_t
utf8_decode(const unsigned char *s, size_t len, unsigned *out)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return n;
}

/*
 * Code points that change how a terminal lays out what follows them: the
 * bidirectional controls (which can make a line read as something else,
 * "Trojan Source") and the line and paragraph separators.
 */
static bool
layout_control(unsigned cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

/*
 * Like utf8_decode, but C1 controls count as invalid (they act as escapes
 * on some terminals): they are escaped byte by byte.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
	size_t n = utf8_decode(s, len, cp);

	return n && *cp >= 0xa0 ? n : 0;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	for (size_t i = 0, n; i < len; i += n) {
		n = u[i] < 0x80 ? 1 : utf8_decode(u + i, len - i, &cp);
		if (n == 0)
			return false;
	}
	return true;
}

static const char *
named_escape(unsigned char c)
{
	switch (c) {
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case 0x1b: return "\\e";
	default: return NULL;
	}
}

size_t
event_escape(const char *s, size_t len, char *buf, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		char tmp[8];
		const char *piece = tmp;
		size_t plen, n = 1;
		unsigned cp;

		if (u[i] >= 0x20 && u[i] < 0x7f) {
			tmp[0] = (char)u[i];
			plen = 1;
		} else if (u[i] >= 0x80 && (n = utf8_seq(u + i, len - i, &cp)) > 0) {
			piece = s + i;
			plen = n;
			if (layout_control(cp)) {
				plen = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", cp);
				piece = tmp;
			}
		} else {
			n = 1;
			piece = named_escape(u[i]);
			if (piece == NULL) {
				snprintf(tmp, sizeof tmp, "\\x%02x", u[i]);
				piece = tmp;
			}
			plen = 0;
			while (piece[plen])
				plen++;
		}
		if (o + plen >= cap)
			break;
		for (size_t k = 0; k < plen; k++)
			buf[o++] = piece[k];
		i += n;
	}
	buf[o] = '\0';
	return o;
}

static size_t
put(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t
event_format(const event *ev, char *buf, size_t cap)
{
	static const char *const fmts[] = {
#define EVENT_FMT(name, fmt) fmt,
		EVENT_KINDS(EVENT_FMT)
#undef EVENT_FMT
	};
	char text[EVENT_ESCAPED_MAX];

	if (cap == 0)
		return 0;
	if (ev->kind == EVENT_MESSAGE || ev->kind == EVENT_HISTORY) {
		event_escape(ev->text, ev->text_len, text, sizeof text);
		return put(buf, cap, fmts[ev->kind], ev->nick, text);
	}
	if (ev->kind == EVENT_LATE) {
		char utc[16];
		uint64_t s = ev->time / 1000;
		snprintf(utc, sizeof utc, "%02u:%02u:%02u", (unsigned)(s / 3600 % 24),
			 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
		event_escape(ev->text, ev->text_len, text, sizeof text);
		return put(buf, cap, fmts[ev->kind], ev->stamp ? ev->stamp : utc, ev->nick, text);
	}
	if (ev->kind == EVENT_PENDING) {
		event_escape(ev->text, ev->text_len, text, sizeof text);
		return put(buf, cap, fmts[ev->kind], text);
	}
	/* Every other event carries a nick or a text that the node built. */
	return put(buf, cap, fmts[ev->kind], ev->nick ? ev->nick : ev->text);
}
