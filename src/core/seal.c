/* seal — see seal.h. */
#include "seal.h"

#include <sodium.h>
#include <string.h>

static const uint8_t magic[8] = {'C', 'H', 'O', 'R', 'U', 'S', '-', '1'};
static const uint8_t confirm_text[8] = {'c', 'o', 'n', 'f', 'i', 'r', 'm', '1'};

/*
 * Argon2id, so that a peer who records one handshake cannot try a word
 * list of secrets fast: about 10 ms and 8 MiB per guess (a secret that
 * chorus makes is 256 random bits and needs none of it).  The salt is
 * fixed: it only separates this use from others.
 */
int
seal_psk(const void *secret, size_t len, uint8_t psk[SEAL_KEY])
{
	static const uint8_t salt[crypto_pwhash_SALTBYTES] = "chorus secret v1";

	return crypto_pwhash(psk, SEAL_KEY, secret, len, salt, SEAL_PSK_OPS, SEAL_PSK_MEM,
			     crypto_pwhash_ALG_ARGON2ID13);
}

void
seal_init(seal *s, const uint8_t psk[SEAL_KEY], const uint8_t random[SEAL_KEY])
{
	memset(s, 0, sizeof *s);
	memcpy(s->psk, psk, SEAL_KEY);
	memcpy(s->sk, random, SEAL_KEY);
	crypto_scalarmult_base(s->pk, s->sk);
	s->state = SEAL_WAIT_HELLO;
}

void
seal_wipe(seal *s)
{
	sodium_memzero(s, sizeof *s);
	s->state = SEAL_FAILED;
}

void
seal_hello(const seal *s, uint8_t out[SEAL_HELLO])
{
	memcpy(out, magic, sizeof magic);
	memcpy(out + sizeof magic, s->pk, SEAL_KEY);
}

static int
fail(seal *s, int err)
{
	sodium_memzero(s->sk, sizeof s->sk);
	sodium_memzero(s->tx, sizeof s->tx);
	sodium_memzero(s->rx, sizeof s->rx);
	s->state = SEAL_FAILED;
	return err;
}

int
seal_on_hello(seal *s, const uint8_t *msg, size_t len)
{
	uint8_t shared[crypto_scalarmult_BYTES], keys[2 * SEAL_KEY];
	const uint8_t *peer, *lo, *hi;
	crypto_generichash_state h;

	if (s->state != SEAL_WAIT_HELLO)
		return fail(s, SEAL_ESTATE);
	if (len != SEAL_HELLO || memcmp(msg, magic, sizeof magic) != 0)
		return fail(s, SEAL_EBADHELLO);
	peer = msg + sizeof magic;
	if (sodium_memcmp(peer, s->pk, SEAL_KEY) == 0)
		return fail(s, SEAL_EREFLECT);
	if (crypto_scalarmult(shared, s->sk, peer) != 0)
		return fail(s, SEAL_EBADHELLO); /* a low-order point */
	bool low = memcmp(s->pk, peer, SEAL_KEY) < 0;
	lo = low ? s->pk : peer;
	hi = low ? peer : s->pk;
	crypto_generichash_init(&h, s->psk, SEAL_KEY, sizeof keys);
	crypto_generichash_update(&h, shared, sizeof shared);
	crypto_generichash_update(&h, lo, SEAL_KEY);
	crypto_generichash_update(&h, hi, SEAL_KEY);
	crypto_generichash_final(&h, keys, sizeof keys);
	crypto_generichash_init(&h, NULL, 0, sizeof s->binding);
	crypto_generichash_update(&h, lo, SEAL_KEY);
	crypto_generichash_update(&h, hi, SEAL_KEY);
	crypto_generichash_final(&h, s->binding, sizeof s->binding);
	memcpy(s->tx, low ? keys : keys + SEAL_KEY, SEAL_KEY);
	memcpy(s->rx, low ? keys + SEAL_KEY : keys, SEAL_KEY);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(keys, sizeof keys);
	sodium_memzero(s->sk, sizeof s->sk);
	s->state = SEAL_WAIT_CONFIRM;
	return 0;
}

static void
nonce_of(uint64_t n, uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES])
{
	memset(nonce, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

size_t
seal_close(seal *s, const uint8_t *plain, size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long clen = 0;

	/* Never under a key not agreed (or wiped): nothing goes out then. */
	if ((s->state != SEAL_OPEN && s->state != SEAL_WAIT_CONFIRM) || len > SEAL_MAX_PLAIN)
		return 0;
	nonce_of(s->tx_n++, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plain, len, NULL, 0, NULL, nonce,
						  s->tx);
	return (size_t)clen;
}

size_t
seal_confirm(seal *s, uint8_t *out)
{
	return seal_close(s, confirm_text, sizeof confirm_text, out);
}

int
seal_open(seal *s, const uint8_t *rec, size_t len, uint8_t *plain, size_t *plain_len)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	uint8_t check[sizeof confirm_text];
	unsigned long long mlen = 0;
	bool confirming = s->state == SEAL_WAIT_CONFIRM;
	uint8_t *into = confirming ? check : plain;

	*plain_len = 0;
	if (!confirming && s->state != SEAL_OPEN)
		return fail(s, SEAL_ESTATE);
	if (len < SEAL_TAG || len > SEAL_MAX_PLAIN + SEAL_TAG ||
	    (confirming && len != SEAL_TAG + sizeof confirm_text))
		return fail(s, SEAL_ESIZE);
	nonce_of(s->rx_n, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(into, &mlen, NULL, rec, len, NULL, 0, nonce,
						      s->rx) != 0)
		return fail(s, SEAL_EAUTH);
	s->rx_n++;
	if (confirming) {
		if (sodium_memcmp(check, confirm_text, sizeof check) != 0)
			return fail(s, SEAL_EAUTH);
		s->state = SEAL_OPEN;
		return 0;
	}
	*plain_len = (size_t)mlen;
	return 0;
}

const char *
seal_strerror(int err)
{
	switch (err) {
	case SEAL_EBADHELLO: return "not a chorus handshake";
	case SEAL_EREFLECT: return "handshake reflected";
	case SEAL_EAUTH: return "authentication failed";
	case SEAL_ESTATE: return "handshake out of turn";
	case SEAL_ESIZE: return "record size out of bounds";
	default: return "no error";
	}
}
