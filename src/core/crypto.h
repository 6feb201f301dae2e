/*
 * crypto — the core's door to libsodium's pure functions, for the modules
 * that need a hash or a comparison but are not about keys (sign.h and
 * seal.h are, and use libsodium themselves).  Nothing here reads a clock
 * or draws randomness: that comes from the shell.
 */
#ifndef CHORUS_CRYPTO_H
#define CHORUS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * out = BLAKE2b-(8 * outlen)(key = key[0..keylen), a || b): keylen 0 is
 * unkeyed.  outlen 1..64, keylen 0..64.
 */
void crypto_hash2(uint8_t *out, size_t outlen, const void *key, size_t keylen,
		  const void *a, size_t alen, const void *b, size_t blen);

/* Whether a and b hold the same n bytes, in time that does not tell where. */
bool crypto_same(const void *a, const void *b, size_t n);

/* Overwrite n bytes at p with zeros, in a way the compiler keeps. */
void crypto_wipe(void *p, size_t n);

#endif
