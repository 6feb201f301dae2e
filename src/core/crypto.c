/* crypto — see crypto.h. */
#include "crypto.h"

#include <sodium.h>

void
crypto_hash2(uint8_t *out, size_t outlen, const void *key, size_t keylen, const void *a,
	     size_t alen, const void *b, size_t blen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, keylen, outlen);
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, outlen);
}

bool
crypto_same(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
crypto_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}
