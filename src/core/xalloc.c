/* xalloc — see xalloc.h. */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
checked(void *p, size_t size)
{
	if (p == NULL && size != 0) {
		fprintf(stderr, "chorus: out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

void *
xmalloc(size_t size)
{
	return checked(malloc(size), size);
}

void *
xcalloc(size_t count, size_t size)
{
	return checked(calloc(count, size), count * size);
}

void *
xrealloc(void *ptr, size_t size)
{
	return checked(realloc(ptr, size), size);
}

char *
xstrndup(const char *s, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void *
xgrow(void *v, int len, int *cap, int first, size_t size)
{
	if (len < *cap)
		return v;
	int to = *cap ? 2 * *cap : first;
	v = xrealloc(v, (size_t)to * size);
	memset((char *)v + (size_t)*cap * size, 0, (size_t)(to - *cap) * size);
	*cap = to;
	return v;
}
