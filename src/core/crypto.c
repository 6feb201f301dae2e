/* crypto — see crypto.h. */
#include "crypto.h"

#include <sodium.h>

_Static_assert(sizeof(crypto_hasher) >= sizeof(crypto_generichash_state),
	       "crypto_hasher holds libsodium's BLAKE2b state");
_Static_assert(_Alignof(crypto_hasher) >= _Alignof(crypto_generichash_state),
	       "crypto_hasher is aligned as libsodium's BLAKE2b state");
_Static_assert(CRYPTO_KEY == crypto_scalarmult_BYTES &&
		       CRYPTO_KEY == crypto_scalarmult_SCALARBYTES &&
		       CRYPTO_KEY == crypto_aead_chacha20poly1305_IETF_KEYBYTES,
	       "X25519 and ChaCha20 keys are CRYPTO_KEY bytes");
_Static_assert(CRYPTO_NONCE == crypto_aead_chacha20poly1305_IETF_NPUBBYTES, "nonce size");
_Static_assert(CRYPTO_TAG == crypto_aead_chacha20poly1305_IETF_ABYTES, "tag size");
_Static_assert(CRYPTO_SALT == crypto_pwhash_SALTBYTES, "Argon2id salt size");
_Static_assert(CRYPTO_SIGN_PK == crypto_sign_PUBLICKEYBYTES &&
		       CRYPTO_SIGN_SK == crypto_sign_SECRETKEYBYTES &&
		       CRYPTO_SIG == crypto_sign_BYTES,
	       "Ed25519 sizes");

static crypto_generichash_state *
state(crypto_hasher *h)
{
	return (crypto_generichash_state *)(void *)h->opaque;
}

void
crypto_hasher_init(crypto_hasher *h, const void *key, size_t keylen, size_t outlen)
{
	crypto_generichash_init(state(h), key, keylen, outlen);
}

void
crypto_hasher_update(crypto_hasher *h, const void *p, size_t n)
{
	crypto_generichash_update(state(h), p, n);
}

void
crypto_hasher_final(crypto_hasher *h, uint8_t *out, size_t outlen)
{
	crypto_generichash_final(state(h), out, outlen);
}

void
crypto_hash2(uint8_t *out, size_t outlen, const void *key, size_t keylen, const void *a,
	     size_t alen, const void *b, size_t blen)
{
	crypto_hasher h;

	crypto_hasher_init(&h, key, keylen, outlen);
	crypto_hasher_update(&h, a, alen);
	crypto_hasher_update(&h, b, blen);
	crypto_hasher_final(&h, out, outlen);
}

int
crypto_argon2id(uint8_t *out, size_t outlen, const void *pw, size_t pwlen,
		const uint8_t salt[CRYPTO_SALT], unsigned ops, size_t mem)
{
	return crypto_pwhash(out, outlen, pw, pwlen, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13);
}

void
crypto_x25519_base(uint8_t pk[CRYPTO_KEY], const uint8_t sk[CRYPTO_KEY])
{
	crypto_scalarmult_base(pk, sk);
}

int
crypto_x25519(uint8_t shared[CRYPTO_KEY], const uint8_t sk[CRYPTO_KEY],
	      const uint8_t pk[CRYPTO_KEY])
{
	return crypto_scalarmult(shared, sk, pk) == 0 ? 0 : -1;
}

int
crypto_ed25519_pk_to_x25519(uint8_t xpk[CRYPTO_KEY], const uint8_t pk[CRYPTO_SIGN_PK])
{
	return crypto_sign_ed25519_pk_to_curve25519(xpk, pk) == 0 ? 0 : -1;
}

void
crypto_ed25519_sk_to_x25519(uint8_t xsk[CRYPTO_KEY], const uint8_t sk[CRYPTO_SIGN_SK])
{
	crypto_sign_ed25519_sk_to_curve25519(xsk, sk);
}

void
crypto_ed25519_sign(uint8_t sig[CRYPTO_SIG], const void *m, size_t len,
		    const uint8_t sk[CRYPTO_SIGN_SK])
{
	crypto_sign_detached(sig, NULL, m, len, sk);
}

bool
crypto_ed25519_check(const uint8_t sig[CRYPTO_SIG], const void *m, size_t len,
		     const uint8_t pk[CRYPTO_SIGN_PK])
{
	return crypto_sign_verify_detached(sig, m, len, pk) == 0;
}

size_t
crypto_lock(uint8_t *out, const uint8_t *plain, size_t len, const uint8_t nonce[CRYPTO_NONCE],
	    const uint8_t key[CRYPTO_KEY])
{
	unsigned long long clen = 0;

	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plain, len, NULL, 0, NULL, nonce,
						  key);
	return (size_t)clen;
}

int
crypto_unlock(uint8_t *out, size_t *len, const uint8_t *c, size_t clen,
	      const uint8_t nonce[CRYPTO_NONCE], const uint8_t key[CRYPTO_KEY])
{
	unsigned long long mlen = 0;

	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, c, clen, NULL, 0, nonce,
						      key) != 0)
		return -1;
	*len = (size_t)mlen;
	return 0;
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
