/* seal — see seal.h. */
#include "seal.h"

#include <string.h>

#include "crypto.h"

_Static_assert(SEAL_KEY == CRYPTO_KEY && SEAL_TAG == CRYPTO_TAG, "seal.h's sizes are crypto.h's");

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
	static const uint8_t salt[CRYPTO_SALT] = "chorus secret v1";

	return crypto_argon2id(psk, SEAL_KEY, secret, len, salt, SEAL_PSK_OPS, SEAL_PSK_MEM);
}

void
seal_init(seal *s, const uint8_t psk[SEAL_KEY], const uint8_t random[SEAL_KEY])
{
	memset(s, 0, sizeof *s);
	memcpy(s->psk, psk, SEAL_KEY);
	memcpy(s->sk, random, SEAL_KEY);
	crypto_x25519_base(s->pk, s->sk);
	s->state = SEAL_WAIT_HELLO;
}

void
seal_wipe(seal *s)
{
	crypto_wipe(s, sizeof *s);
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
	crypto_wipe(s->sk, sizeof s->sk);
	crypto_wipe(s->tx, sizeof s->tx);
	crypto_wipe(s->rx, sizeof s->rx);
	s->state = SEAL_FAILED;
	return err;
}

int
seal_on_hello(seal *s, const uint8_t *msg, size_t len)
{
	uint8_t shared[CRYPTO_KEY], keys[2 * SEAL_KEY];
	const uint8_t *peer, *lo, *hi;
	crypto_hasher h;

	if (s->state != SEAL_WAIT_HELLO)
		return fail(s, SEAL_ESTATE);
	if (len != SEAL_HELLO || memcmp(msg, magic, sizeof magic) != 0)
		return fail(s, SEAL_EBADHELLO);
	peer = msg + sizeof magic;
	if (crypto_same(peer, s->pk, SEAL_KEY))
		return fail(s, SEAL_EREFLECT);
	if (crypto_x25519(shared, s->sk, peer) != 0)
		return fail(s, SEAL_EBADHELLO); /* a low-order point */
	bool low = memcmp(s->pk, peer, SEAL_KEY) < 0;
	lo = low ? s->pk : peer;
	hi = low ? peer : s->pk;
	crypto_hasher_init(&h, s->psk, SEAL_KEY, sizeof keys);
	crypto_hasher_update(&h, shared, sizeof shared);
	crypto_hasher_update(&h, lo, SEAL_KEY);
	crypto_hasher_update(&h, hi, SEAL_KEY);
	crypto_hasher_final(&h, keys, sizeof keys);
	crypto_hash2(s->binding, sizeof s->binding, NULL, 0, lo, SEAL_KEY, hi, SEAL_KEY);
	memcpy(s->tx, low ? keys : keys + SEAL_KEY, SEAL_KEY);
	memcpy(s->rx, low ? keys + SEAL_KEY : keys, SEAL_KEY);
	crypto_wipe(shared, sizeof shared);
	crypto_wipe(keys, sizeof keys);
	crypto_wipe(s->sk, sizeof s->sk);
	s->state = SEAL_WAIT_CONFIRM;
	return 0;
}

static void
nonce_of(uint64_t n, uint8_t nonce[CRYPTO_NONCE])
{
	memset(nonce, 0, CRYPTO_NONCE);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

size_t
seal_close(seal *s, const uint8_t *plain, size_t len, uint8_t *out)
{
	uint8_t nonce[CRYPTO_NONCE];
	/* Never under a key not agreed (or wiped): nothing goes out then. */
	if ((s->state != SEAL_OPEN && s->state != SEAL_WAIT_CONFIRM) || len > SEAL_MAX_PLAIN)
		return 0;
	nonce_of(s->tx_n++, nonce);
	return crypto_lock(out, plain, len, nonce, s->tx);
}

size_t
seal_confirm(seal *s, uint8_t *out)
{
	return seal_close(s, confirm_text, sizeof confirm_text, out);
}

int
seal_open(seal *s, const uint8_t *rec, size_t len, uint8_t *plain, size_t *plain_len)
{
	uint8_t nonce[CRYPTO_NONCE];
	uint8_t check[sizeof confirm_text];
	size_t mlen = 0;
	bool confirming = s->state == SEAL_WAIT_CONFIRM;
	uint8_t *into = confirming ? check : plain;

	*plain_len = 0;
	if (!confirming && s->state != SEAL_OPEN)
		return fail(s, SEAL_ESTATE);
	if (len < SEAL_TAG || len > SEAL_MAX_PLAIN + SEAL_TAG ||
	    (confirming && len != SEAL_TAG + sizeof confirm_text))
		return fail(s, SEAL_ESIZE);
	nonce_of(s->rx_n, nonce);
	if (crypto_unlock(into, &mlen, rec, len, nonce, s->rx) != 0)
		return fail(s, SEAL_EAUTH);
	s->rx_n++;
	if (confirming) {
		if (!crypto_same(check, confirm_text, sizeof check))
			return fail(s, SEAL_EAUTH);
		s->state = SEAL_OPEN;
		return 0;
	}
	*plain_len = mlen;
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
