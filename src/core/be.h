/*
 * be — big-endian integers in byte buffers, the one byte order of
 * everything Chorus packs: wire frames and their length headers, the
 * bytes a record's chain, digest and signature cover, hashes read as
 * ids, and the shell's sealed units.  be_put/be_get take the width in
 * bytes (1..8); the fixed widths are shorthands.  The caller has checked
 * that the bytes are there.  (docs/protocol.md names the two little-endian
 * numbers: the record nonce's counter, seal.c, and the history digest's
 * lanes, hist.c.)
 */
#ifndef CHORUS_BE_H
#define CHORUS_BE_H

#include <stddef.h>
#include <stdint.h>

/* The low n bytes of v into p[0..n), most significant first. */
static inline void
be_put(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The n bytes at p, most significant first. */
static inline uint64_t
be_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void be_put32(uint8_t *p, uint32_t v) { be_put(p, v, 4); }
static inline void be_put64(uint8_t *p, uint64_t v) { be_put(p, v, 8); }
static inline uint32_t be_get32(const uint8_t *p) { return (uint32_t)be_get(p, 4); }
static inline uint64_t be_get64(const uint8_t *p) { return be_get(p, 8); }

#endif
