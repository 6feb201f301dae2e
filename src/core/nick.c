/* nick — see nick.h. */
#include "nick.h"


/* Every tag of SPEC section 4, and the words a front end prints in brackets. */
static const char *const reserved[] = {
	"JOIN", "LEAVE", "LOST", "BACK", "LEADER", "CURRENT_LEADER",
	"IS_LEADER", "USERS", "STATE", "CHECKSUM", "HISTORY", "LATE",
	"MOD", "ERROR", "REMOVED", "HELP", "NICK", "INFO",
};

static bool
nick_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static char
fold(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool
nick_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (fold(a[i]) != fold(b[i]))
			return false;
	return true;
}

bool
nick_same(const char *a, const char *b)
{
	size_t alen = 0, blen = 0;

	while (a[alen])
		alen++;
	while (b[blen])
		blen++;
	return nick_equal(a, alen, b, blen);
}

const char *
nick_check(const char *nick, size_t len)
{
	if (len == 0)
		return "a nick cannot be empty";
	if (len > NICK_MAX)
		return "a nick has at most 32 characters";
	for (size_t i = 0; i < len; i++)
		if (!nick_char(nick[i]))
			return "a nick has only letters, digits, '-' and '_'";
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		size_t rlen = 0;
		while (reserved[i][rlen])
			rlen++;
		if (nick_equal(nick, len, reserved[i], rlen))
			return "that word is reserved for events";
	}
	return NULL;
}
