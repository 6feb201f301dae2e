/* sign — see sign.h. */
#include "sign.h"

#include <string.h>

#include "be.h"
#include "crypto.h"

_Static_assert(SIGN_PK == CRYPTO_SIGN_PK && SIGN_SK == CRYPTO_SIGN_SK && SIGN_SIG == CRYPTO_SIG,
	       "sign.h's sizes are crypto.h's");

static const uint8_t domain[] = "chorus signed chain, version 1";

uint64_t
sign_id(const uint8_t pk[SIGN_PK])
{
	uint8_t h[32];
	uint64_t id;

	crypto_hash2(h, sizeof h, NULL, 0, pk, SIGN_PK, "", 0);
	id = be_get64(h);
	return id ? id : 1;
}

void
sign_chain(uint8_t chain[SIGN_CHAIN], const hist_rec *r)
{
	/* The old chain, the fixed part and the nick; then the text. */
	uint8_t buf[SIGN_CHAIN + 30 + NICK_MAX], *p = buf;
	size_t nlen = strnlen(r->nick, sizeof r->nick - 1);

	memcpy(p, chain, SIGN_CHAIN);
	p += SIGN_CHAIN;
	be_put64(p, r->sender);
	be_put64(p + 8, r->seq);
	be_put64(p + 16, r->hlc);
	p[24] = (uint8_t)nlen;
	be_put32(p + 25, (uint32_t)r->len);
	p[29] = r->kind;
	p += 30;
	memcpy(p, r->nick, nlen);
	p += nlen;
	crypto_hash2(chain, SIGN_CHAIN, NULL, 0, buf, (size_t)(p - buf), r->text, r->len);
}

/* What is signed: the domain, the author, the sequence, the chain. */
static void
message(const hist_sig *s, uint8_t *m)
{
	memcpy(m, domain, sizeof domain);
	be_put64(m + sizeof domain, s->sender);
	be_put64(m + sizeof domain + 8, s->seq);
	memcpy(m + sizeof domain + 16, s->chain, SIGN_CHAIN);
}

#define MESSAGE_LEN (sizeof domain + 16 + SIGN_CHAIN)

void
sign_head(hist_sig *s, const uint8_t sk[SIGN_SK])
{
	uint8_t m[MESSAGE_LEN];

	message(s, m);
	crypto_ed25519_sign(s->sig, m, sizeof m, sk);
}

bool
sign_check(const hist_sig *s)
{
	uint8_t m[MESSAGE_LEN];

	if (sign_id(s->pk) != s->sender)
		return false;
	message(s, m);
	return crypto_ed25519_check(s->sig, m, sizeof m, s->pk);
}

static const uint8_t proof_domain[] = "chorus link proof, version 1";

static void
proof_message(uint8_t *m, const uint8_t binding[SIGN_CHAIN])
{
	memcpy(m, proof_domain, sizeof proof_domain);
	memcpy(m + sizeof proof_domain, binding, SIGN_CHAIN);
}

void
sign_proof(uint8_t proof[SIGN_SIG], const uint8_t binding[SIGN_CHAIN], const uint8_t sk[SIGN_SK])
{
	uint8_t m[sizeof proof_domain + SIGN_CHAIN];

	proof_message(m, binding);
	crypto_ed25519_sign(proof, m, sizeof m, sk);
}

bool
sign_proof_check(const uint8_t proof[SIGN_SIG], const uint8_t binding[SIGN_CHAIN],
		 const uint8_t pk[SIGN_PK], uint64_t id)
{
	uint8_t m[sizeof proof_domain + SIGN_CHAIN];

	if (sign_id(pk) != id)
		return false;
	proof_message(m, binding);
	return crypto_ed25519_check(proof, m, sizeof m, pk);
}
