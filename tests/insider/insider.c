/*
 * insider — a modified binary for the system tests (build/insider/chorus,
 * built with -DCHORUS_INSIDER): a member that holds the secret and skips
 * its own node's checks, as SPEC 5.8's insider does.  Two commands:
 *
 *   \as NICK TEXT        a chat line written under NICK instead of ours
 *   \force !OP NICK      a directive issued whether or not we lead
 *   \at +Nh TEXT         a chat line stamped N hours ahead (or -Nh behind)
 *
 * Everything else is the ordinary node.  Never part of a release build.
 */
#include "node_int.h"

#include <stdlib.h>
#include <string.h>

static bool
starts(const char *line, size_t len, const char *word, size_t *skip)
{
	size_t k = strlen(word);

	if (len < k || memcmp(line, word, k) != 0)
		return false;
	*skip = k;
	return true;
}

static void
as(node *n, uint64_t now, const char *s, size_t len)
{
	const char *sp = memchr(s, ' ', len);
	char nick[NICK_MAX + 1];

	if (sp == NULL || (size_t)(sp - s) > NICK_MAX)
		return;
	memcpy(nick, s, (size_t)(sp - s));
	nick[sp - s] = '\0';
	node_submit_as(n, now, HIST_CHAT, nick, sp + 1, len - (size_t)(sp + 1 - s));
}

static void
force(node *n, uint64_t now, const char *s, size_t len)
{
	static const char *const ops[] = {"!silence ", "!unsilence ", "!remove ", "!readmit "};
	size_t k;

	for (int op = MOD_SILENCE; op <= MOD_READMIT; op++)
		if (starts(s, len, ops[op - 1], &k))
			node_mod_issue(n, now, op, s + k, len - k);
}

static void
at(node *n, uint64_t now, const char *s, size_t len)
{
	char num[16], *end;
	size_t k = len < sizeof num - 1 ? len : sizeof num - 1;

	memcpy(num, s, k);
	num[k] = '\0';
	long hours = strtol(num, &end, 10);
	if (end == num || *end != 'h' || end[1] != ' ')
		return;
	size_t skip = (size_t)(end - num) + 2;
	int64_t ms = (int64_t)node_wall(n, now) + (int64_t)hours * 3600 * 1000;
	node_submit_stamped(n, now, (uint64_t)ms << HLC_SHIFT, s + skip, len - skip);
}

bool
insider_input(node *n, uint64_t now, const char *line, size_t len)
{
	size_t k;

	if (starts(line, len, "\\as ", &k))
		as(n, now, line + k, len - k);
	else if (starts(line, len, "\\force ", &k))
		force(n, now, line + k, len - k);
	else if (starts(line, len, "\\at ", &k))
		at(n, now, line + k, len - k);
	else
		return false;
	return true;
}
