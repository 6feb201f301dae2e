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
