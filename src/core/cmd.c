/* cmd — see cmd.h. */
#include "cmd.h"

#include <string.h>

static const struct {
	const char *word;
	cmd_kind kind;
} words[] = {
	{"\\list_users", CMD_LIST_USERS},
	{"\\current_leader", CMD_CURRENT_LEADER},
	{"\\is_leader", CMD_IS_LEADER},
	{"\\state", CMD_STATE},
	{"\\checksum", CMD_CHECKSUM},
	{"\\history", CMD_HISTORY},
	{"\\help", CMD_HELP},
	{"\\quit", CMD_QUIT},
	{"!silence", CMD_SILENCE},
	{"!unsilence", CMD_UNSILENCE},
	{"!remove", CMD_REMOVE},
	{"!readmit", CMD_READMIT},
};

const char *const cmd_help[] = {
	"any text              send it to everyone",
	"\\list_users           the live members, in seniority order",
	"\\current_leader       who leads the chat",
	"\\is_leader            whether this node leads",
	"\\state                this node's state as key=value pairs",
	"\\checksum             count and digest of the history",
	"\\history [N]          the last N messages (default 20)",
	"!silence NICK         (leader) refuse NICK's messages everywhere",
	"!unsilence NICK       (leader) lift a silence",
	"!remove NICK          (leader) expel NICK's node",
	"!readmit NICK         (leader) lift a removal",
	"bye, exit, \\quit      leave the chat",
	NULL,
};

static const char *
trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r'))
		(*len)--;
	return s;
}

static bool
is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

cmd
cmd_parse(const char *line, size_t len)
{
	cmd c = {CMD_MESSAGE, line, len};
	size_t tlen = len;
	const char *t = trim(line, &tlen);

	if (tlen == 0)
		return (cmd){CMD_NONE, NULL, 0};
	if (is(t, tlen, "bye") || is(t, tlen, "exit"))
		return (cmd){CMD_QUIT, NULL, 0};
	if (t[0] != '\\' && t[0] != '!')
		return c;

	size_t wlen = 0;
	while (wlen < tlen && t[wlen] != ' ' && t[wlen] != '\t')
		wlen++;
	size_t alen = tlen - wlen;
	const char *arg = trim(t + wlen, &alen);

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (is(t, wlen, words[i].word))
			return (cmd){words[i].kind, arg, alen};
	return (cmd){CMD_UNKNOWN, t, wlen};
}
