/*
 * nick — what a nickname may be, and when two of them clash.
 *
 * A nick is 1–32 letters, digits, '-' or '_'.  Nicks compare
 * case-insensitively (ASCII), and the words the node prints as event tags
 * ("JOIN", "USERS", ...) are refused in any case, so that no chat line can
 * pass for an event.
 */
#ifndef CHORUS_NICK_H
#define CHORUS_NICK_H

#include <stdbool.h>
#include <stddef.h>

#define NICK_MAX 32

/* NULL when nick (len bytes) is acceptable, else why it is not. */
const char *nick_check(const char *nick, size_t len);

/* True when the two nicks are the same, ignoring ASCII case. */
bool nick_equal(const char *a, size_t alen, const char *b, size_t blen);
/* The same for two NUL-terminated nicks. */
bool nick_same(const char *a, const char *b);

#endif
