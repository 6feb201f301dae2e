/* irc — see irc.h. */
#include "irc.h"

#include <string.h>

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool
irc_is(irc_str p, const char *s)
{
	size_t n = strlen(s);

	if (p.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (upper(p.ptr[i]) != upper(s[i]))
			return false;
	return true;
}

/* The next space-delimited word from *p (end e); skips leading spaces. */
static irc_str
word(const char **p, const char *e)
{
	irc_str w;

	while (*p < e && **p == ' ')
		(*p)++;
	w.ptr = *p;
	while (*p < e && **p != ' ')
		(*p)++;
	w.len = (size_t)(*p - w.ptr);
	return w;
}

bool
irc_parse(const char *line, size_t len, irc_msg *m)
{
	const char *p = line, *e = line + len;
	irc_str cmd;

	memset(m, 0, sizeof *m);
	if (memchr(line, '\0', len) || memchr(line, '\r', len) || memchr(line, '\n', len))
		return false;
	if (p < e && *p == '@') {
		p++;
		m->tags = word(&p, e);
		if (m->tags.len == 0 || m->tags.len > IRC_MAX_TAGS)
			return false;
	}
	while (p < e && *p == ' ')
		p++;
	if (p < e && *p == ':') {
		p++;
		m->prefix = word(&p, e);
	}
	cmd = word(&p, e);
	if (cmd.len == 0 || cmd.len > IRC_MAX_COMMAND)
		return false;
	for (size_t i = 0; i < cmd.len; i++) {
		char c = upper(cmd.ptr[i]);
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
		m->command[i] = c;
	}
	for (;;) {
		while (p < e && *p == ' ')
			p++;
		if (p == e)
			break;
		if (m->nparams == IRC_MAX_PARAMS)
			return false;
		if (*p == ':' || m->nparams == IRC_MAX_PARAMS - 1) {
			p += *p == ':';
			m->params[m->nparams++] = (irc_str){p, (size_t)(e - p)};
			break;
		}
		m->params[m->nparams++] = word(&p, e);
	}
	return true;
}

/* Unescape an IRCv3 tag value (\: \s \\ \r \n). */
static void
unescape(const char *v, size_t len, char *buf, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		char c = v[i];
		if (c == '\\' && i + 1 < len) {
			char x = v[++i];
			c = x == ':' ? ';' : x == 's' ? ' ' : x == 'r' ? '\r' : x == 'n' ? '\n' : x;
		} else if (c == '\\') {
			break; /* a trailing backslash is dropped */
		}
		buf[o++] = c;
	}
	if (cap)
		buf[o] = '\0';
}

bool
irc_tag(const irc_msg *m, const char *key, char *buf, size_t cap)
{
	const char *p = m->tags.ptr, *e;
	size_t klen = strlen(key);

	if (m->tags.len == 0)
		return false;
	e = p + m->tags.len;
	while (p < e) {
		const char *end = memchr(p, ';', (size_t)(e - p));
		const char *eq;
		if (end == NULL)
			end = e;
		eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq ? eq : end;
		if ((size_t)(kend - p) == klen && memcmp(p, key, klen) == 0) {
			if (eq)
				unescape(eq + 1, (size_t)(end - eq - 1), buf, cap);
			else if (cap)
				buf[0] = '\0';
			return true;
		}
		p = end + 1;
	}
	return false;
}
