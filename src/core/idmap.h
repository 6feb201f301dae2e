/*
 * idmap — where an id sits in an append-only array: open addressing over
 * 64-bit ids, which are random (hashes of keys), so their bits, mixed,
 * spread well.  The hist's authors and the member table each keep one, so
 * that finding one of n entries does not cost n.
 *
 * Pure; the caller owns the map (zero-initialise, free with idmap_free).
 */
#ifndef CHORUS_IDMAP_H
#define CHORUS_IDMAP_H

#include <stdint.h>

typedef struct idmap_slot {
	uint64_t id;
	int place; /* 1 + the entry's place in the caller's array; 0: empty */
} idmap_slot;

typedef struct idmap {
	idmap_slot *slot;
	int cap;   /* a power of two, at least twice len */
	int len;
} idmap;

/* Record that id sits at place (an id not yet in the map). */
void idmap_put(idmap *m, uint64_t id, int place);
/* id's place, or -1. */
int idmap_find(const idmap *m, uint64_t id);
void idmap_free(idmap *m);

#endif
