/* chatter — see chatter.h. */
#include "chatter.h"

#include <stdio.h>
#include <string.h>

uint64_t
chatter_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z % CHATTER_SCALE + 1;
}

size_t
chatter_format(uint64_t units, char *buf)
{
	return (size_t)sprintf(buf, "%llu.%010llu", (unsigned long long)(units / CHATTER_SCALE),
			       (unsigned long long)(units % CHATTER_SCALE));
}

bool
chatter_parse(const char *text, size_t len, uint64_t *units)
{
	uint64_t whole, frac = 0;

	if (len != 12 || text[1] != '.' || (text[0] != '0' && text[0] != '1'))
		return false;
	whole = (uint64_t)(text[0] - '0');
	for (size_t i = 2; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		frac = frac * 10 + (uint64_t)(text[i] - '0');
	}
	*units = whole * CHATTER_SCALE + frac;
	return *units >= 1 && *units <= CHATTER_SCALE;
}

void
chatter_add(chatter_sum *s, uint64_t units)
{
	s->count++;
	s->sum += (unsigned __int128)s->count * units;
}

/* A 128-bit number in decimal (buf: at least 40 bytes). */
static void
decimal(unsigned __int128 v, char *buf)
{
	char tmp[40];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

size_t
chatter_result(const chatter_sum *s, char *buf, size_t cap)
{
	char whole[40];
	int n;

	decimal(s->sum / CHATTER_SCALE, whole);
	n = snprintf(buf, cap, "(%llu, %s.%010llu)", (unsigned long long)s->count, whole,
		     (unsigned long long)(s->sum % CHATTER_SCALE));
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
