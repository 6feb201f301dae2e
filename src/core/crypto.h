/*
 * crypto — the core's only door to libsodium: BLAKE2b (whole or piece by
 * piece), Argon2id, X25519, Ed25519, ChaCha20-Poly1305, a constant-time
 * comparison and wiping.  seal and sign say what the keys are for; this
 * module only names the primitives, so that no other core file includes
 * sodium.h.  Nothing here reads a clock or draws randomness: that comes
 * from the shell.  The names avoid libsodium's own (crypto_hash,
 * crypto_sign, crypto_aead_*...), which share the prefix.
 */
#ifndef CHORUS_CRYPTO_H
#define CHORUS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY 32   /* an X25519 key, a shared point, a ChaCha20 key */
#define CRYPTO_NONCE 12 /* ChaCha20-Poly1305 (IETF) */
#define CRYPTO_TAG 16   /* added to every sealed message */
#define CRYPTO_SALT 16  /* Argon2id */
#define CRYPTO_SIGN_PK 32
#define CRYPTO_SIGN_SK 64
#define CRYPTO_SIG 64

/*
 * A BLAKE2b hash fed piece by piece; crypto.c checks that the size and
 * alignment hold libsodium's state.
 */
#define CRYPTO_HASHER_STATE 384
typedef struct crypto_hasher {
	_Alignas(64) unsigned char opaque[CRYPTO_HASHER_STATE];
} crypto_hasher;

/* Start a hash of outlen (1..64) bytes; keylen 0 (key NULL) is unkeyed, else 1..64. */
void crypto_hasher_init(crypto_hasher *h, const void *key, size_t keylen, size_t outlen);
void crypto_hasher_update(crypto_hasher *h, const void *p, size_t n);
/* The hash into out (outlen as at init). */
void crypto_hasher_final(crypto_hasher *h, uint8_t *out, size_t outlen);

/*
 * out = BLAKE2b-(8 * outlen)(key = key[0..keylen), a || b): keylen 0 is
 * unkeyed.  outlen 1..64, keylen 0..64.
 */
void crypto_hash2(uint8_t *out, size_t outlen, const void *key, size_t keylen,
		  const void *a, size_t alen, const void *b, size_t blen);

/* out = Argon2id (v1.3) of pw with salt, ops passes, mem bytes; 0, or -1 out of memory. */
int crypto_argon2id(uint8_t *out, size_t outlen, const void *pw, size_t pwlen,
		    const uint8_t salt[CRYPTO_SALT], unsigned ops, size_t mem);

/* pk = the X25519 public key of sk. */
void crypto_x25519_base(uint8_t pk[CRYPTO_KEY], const uint8_t sk[CRYPTO_KEY]);
/* shared = X25519(sk, pk); -1 when pk is a low-order point, else 0. */
int crypto_x25519(uint8_t shared[CRYPTO_KEY], const uint8_t sk[CRYPTO_KEY],
		  const uint8_t pk[CRYPTO_KEY]);

/*
 * The X25519 keys of an Ed25519 key pair (the same curve, another form):
 * xpk from pk (-1 when pk is not a valid point), xsk from sk.
 */
int crypto_ed25519_pk_to_x25519(uint8_t xpk[CRYPTO_KEY], const uint8_t pk[CRYPTO_SIGN_PK]);
void crypto_ed25519_sk_to_x25519(uint8_t xsk[CRYPTO_KEY], const uint8_t sk[CRYPTO_SIGN_SK]);

/* sig = the Ed25519 signature of m[0..len) by sk (deterministic). */
void crypto_ed25519_sign(uint8_t sig[CRYPTO_SIG], const void *m, size_t len,
			 const uint8_t sk[CRYPTO_SIGN_SK]);
/* Whether sig is pk's signature of m[0..len). */
bool crypto_ed25519_check(const uint8_t sig[CRYPTO_SIG], const void *m, size_t len,
			  const uint8_t pk[CRYPTO_SIGN_PK]);

/*
 * ChaCha20-Poly1305 (IETF), no additional data.  crypto_lock seals
 * plain[0..len) into out (len + CRYPTO_TAG bytes) and returns that length;
 * crypto_unlock opens c[0..clen) (clen >= CRYPTO_TAG) into out (clen -
 * CRYPTO_TAG bytes, returned in *len): 0, or -1 if it does not open.
 */
size_t crypto_lock(uint8_t *out, const uint8_t *plain, size_t len,
		   const uint8_t nonce[CRYPTO_NONCE], const uint8_t key[CRYPTO_KEY]);
int crypto_unlock(uint8_t *out, size_t *len, const uint8_t *c, size_t clen,
		  const uint8_t nonce[CRYPTO_NONCE], const uint8_t key[CRYPTO_KEY]);

/* Whether a and b hold the same n bytes, in time that does not tell where. */
bool crypto_same(const void *a, const void *b, size_t n);

/* Overwrite n bytes at p with zeros, in a way the compiler keeps. */
void crypto_wipe(void *p, size_t n);

#endif
