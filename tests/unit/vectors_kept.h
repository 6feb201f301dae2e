/*
 * The test vectors of docs/protocol.md, kept here (vectors_kept.c) for
 * tests/unit/test_vectors_code.c and test_vectors_doc.c.
 */
#ifndef VECTORS_KEPT_H
#define VECTORS_KEPT_H

#include <stddef.h>

typedef struct vec {
	const char *name;
	const char *hex;
} vec;

/* Every vector, in the document's order. */
extern const vec expected[];
extern const size_t nexpected;

#endif
