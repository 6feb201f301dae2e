/*
 * xalloc — allocation that never returns NULL.
 *
 * Out-of-memory is decided once, here: Chorus cannot do anything useful
 * without memory, so these wrappers print a message and abort.  Callers
 * therefore never check for NULL.  Sizes that come from the network are
 * checked against a limit *before* they reach these functions.
 */
#ifndef CHORUS_XALLOC_H
#define CHORUS_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* A NUL-terminated copy of the first len bytes of s. */
char *xstrndup(const char *s, size_t len);
char *xstrdup(const char *s);
/*
 * Room for one more entry in the array v of *cap entries of size bytes,
 * len of them used: when it is full, *cap doubles (from first) and the
 * array moves (the new entries' bytes are zero).  Returns the array.
 */
void *xgrow(void *v, int len, int *cap, int first, size_t size);

#endif
