// SPDX-License-Identifier: MIT
/*
 * HMAC-SHA256 over mcbridge datagrams (format: mcbridge/wire.h), through
 * OpenSSL's EVP_MAC.  The keyed context is made once; each datagram only
 * re-initialises it, so signing and verifying do not allocate.
 */
#include <mcbridge/auth.h>

#include <endian.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/hex.h"

#define JSON_EPOCH_PREFIX	",\"" MCB_JSON_EPOCH "\":\""
#define JSON_MAC_PREFIX		",\"" MCB_JSON_HMAC "\":\""
#define JSON_MAC_SUFFIX		"\"}\n"
#define LIT_LEN(s)		(sizeof(s) - 1)

_Static_assert(MCB_JSON_AUTH_EPOCH_LEN ==
	       LIT_LEN(JSON_EPOCH_PREFIX) + MCB_JSON_EPOCH_HEX + 1,
	       "epoch part of the JSON trailer");
_Static_assert(MCB_JSON_AUTH_MAC_LEN ==
	       LIT_LEN(JSON_MAC_PREFIX) + MCB_JSON_MAC_HEX +
	       LIT_LEN(JSON_MAC_SUFFIX), "MAC part of the JSON trailer");

int mcb_auth_init(struct mcb_auth *a, const struct mcb_key *k)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 digest, 0),
		OSSL_PARAM_construct_end(),
	};

	a->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	a->ctx = a->mac ? EVP_MAC_CTX_new(a->mac) : NULL;
	if (!a->ctx || !EVP_MAC_init(a->ctx, k->bytes, k->len, params)) {
		mcb_auth_fini(a);
		return -1;
	}
	return 0;
}

void mcb_auth_fini(struct mcb_auth *a)
{
	EVP_MAC_CTX_free(a->ctx);	/* clears the key schedule */
	EVP_MAC_free(a->mac);
	a->ctx = NULL;
	a->mac = NULL;
}

/* The MAC of n bytes; a NULL key re-initialises with the same key. */
int mcb_auth_mac(struct mcb_auth *a, const void *p, size_t n,
		 unsigned char out[MCB_WIRE_MAC_LEN])
{
	size_t outl = 0;

	if (!EVP_MAC_init(a->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(a->ctx, p, n) ||
	    !EVP_MAC_final(a->ctx, out, &outl, MCB_WIRE_MAC_LEN) ||
	    outl != MCB_WIRE_MAC_LEN)
		return -1;
	return 0;
}

static size_t sign_binary(struct mcb_auth *a, unsigned char *p, size_t len,
			  size_t cap, uint64_t epoch)
{
	struct mcb_wire_auth t;
	uint16_t flags;
	uint32_t magic;

	if (len < MCB_WIRE_HDR_LEN || cap - len < sizeof(t))
		return 0;
	memcpy(&magic, p, sizeof(magic));
	if (be32toh(magic) != MCB_WIRE_MAGIC)
		return 0;
	memcpy(&flags, p + offsetof(struct mcb_wire_hdr, flags), 2);
	flags = htobe16((uint16_t)(be16toh(flags) | MCB_WIRE_F_AUTH));
	memcpy(p + offsetof(struct mcb_wire_hdr, flags), &flags, 2);
	t.epoch = htobe64(epoch);
	memcpy(p + len, &t.epoch, sizeof(t.epoch));
	if (mcb_auth_mac(a, p, len + sizeof(t.epoch), t.mac) < 0)
		return 0;
	memcpy(p + len + sizeof(t.epoch), t.mac, sizeof(t.mac));
	return len + sizeof(t);
}

static size_t sign_json(struct mcb_auth *a, unsigned char *p, size_t len,
			size_t cap, uint64_t epoch)
{
	unsigned char e[8], m[MCB_WIRE_MAC_LEN];
	char *q;

	if (len < 3 || p[0] != '{' || memcmp(p + len - 2, "}\n", 2) != 0 ||
	    cap - len < MCB_JSON_AUTH_EXTRA)
		return 0;
	q = (char *)p + len - 2;	/* over the closing "}\n" */
	memcpy(q, JSON_EPOCH_PREFIX, LIT_LEN(JSON_EPOCH_PREFIX));
	q += LIT_LEN(JSON_EPOCH_PREFIX);
	epoch = htobe64(epoch);
	memcpy(e, &epoch, sizeof(e));
	mcb_hex_encode(q, e, sizeof(e));
	q += MCB_JSON_EPOCH_HEX;
	*q++ = '"';
	if (mcb_auth_mac(a, p, (size_t)((unsigned char *)q - p), m) < 0)
		return 0;
	memcpy(q, JSON_MAC_PREFIX, LIT_LEN(JSON_MAC_PREFIX));
	q += LIT_LEN(JSON_MAC_PREFIX);
	mcb_hex_encode(q, m, sizeof(m));
	q += MCB_JSON_MAC_HEX;
	memcpy(q, JSON_MAC_SUFFIX, LIT_LEN(JSON_MAC_SUFFIX));
	q += LIT_LEN(JSON_MAC_SUFFIX);
	return (size_t)((unsigned char *)q - p);
}

size_t mcb_auth_sign(struct mcb_auth *a, void *buf, size_t len, size_t cap,
		     bool binary, uint64_t epoch)
{
	if (len > cap)
		return 0;
	return binary ? sign_binary(a, buf, len, cap, epoch) :
			sign_json(a, buf, len, cap, epoch);
}

enum mcb_auth_result mcb_auth_check(struct mcb_auth *a, const void *p,
				    size_t n, const unsigned char *want)
{
	unsigned char got[MCB_WIRE_MAC_LEN];

	if (mcb_auth_mac(a, p, n, got) < 0)
		return MCB_AUTH_ERROR;
	/* Constant time: no timing hint about how much of a guess was right. */
	return CRYPTO_memcmp(got, want, sizeof(got)) == 0 ? MCB_AUTH_OK :
							    MCB_AUTH_BAD_MAC;
}

static enum mcb_auth_result verify_binary(struct mcb_auth *a,
					  const unsigned char *p, size_t len,
					  uint64_t *epoch)
{
	struct mcb_wire_auth t;
	uint16_t flags;

	if (len < MCB_WIRE_HDR_LEN + sizeof(t))
		return MCB_AUTH_UNSIGNED;
	memcpy(&flags, p + offsetof(struct mcb_wire_hdr, flags), 2);
	if (!(be16toh(flags) & MCB_WIRE_F_AUTH))
		return MCB_AUTH_UNSIGNED;
	memcpy(&t, p + len - sizeof(t), sizeof(t));
	*epoch = be64toh(t.epoch);
	return mcb_auth_check(a, p, len - sizeof(t.mac), t.mac);
}

static enum mcb_auth_result verify_json(struct mcb_auth *a,
					const unsigned char *p, size_t len,
					uint64_t *epoch)
{
	const size_t tail = MCB_JSON_AUTH_EPOCH_LEN + MCB_JSON_AUTH_MAC_LEN;
	const char *e, *m;
	unsigned char eb[8], mb[MCB_WIRE_MAC_LEN];
	uint64_t v;

	if (len < tail + 1 || p[0] != '{')
		return MCB_AUTH_UNSIGNED;
	e = (const char *)p + len - tail;
	m = e + MCB_JSON_AUTH_EPOCH_LEN;
	if (memcmp(e, JSON_EPOCH_PREFIX, LIT_LEN(JSON_EPOCH_PREFIX)) != 0 ||
	    e[MCB_JSON_AUTH_EPOCH_LEN - 1] != '"' ||
	    memcmp(m, JSON_MAC_PREFIX, LIT_LEN(JSON_MAC_PREFIX)) != 0 ||
	    memcmp(m + MCB_JSON_AUTH_MAC_LEN - LIT_LEN(JSON_MAC_SUFFIX),
		   JSON_MAC_SUFFIX, LIT_LEN(JSON_MAC_SUFFIX)) != 0 ||
	    /* Lower-case hex only: the encoder's form is the one form. */
	    mcb_hex_decode(eb, e + LIT_LEN(JSON_EPOCH_PREFIX), sizeof(eb),
			   false) < 0 ||
	    mcb_hex_decode(mb, m + LIT_LEN(JSON_MAC_PREFIX), sizeof(mb),
			   false) < 0)
		return MCB_AUTH_UNSIGNED;
	memcpy(&v, eb, sizeof(v));
	*epoch = be64toh(v);
	return mcb_auth_check(a, p, (size_t)(m - (const char *)p), mb);
}

enum mcb_auth_result mcb_auth_verify(struct mcb_auth *a, const void *buf,
				     size_t len, uint64_t *epoch)
{
	const unsigned char *p = buf;
	uint32_t magic;

	*epoch = 0;
	if (len >= sizeof(magic)) {
		memcpy(&magic, p, sizeof(magic));
		if (be32toh(magic) == MCB_WIRE_MAGIC)
			return verify_binary(a, p, len, epoch);
	}
	return verify_json(a, p, len, epoch);
}

const char *mcb_auth_strerror(enum mcb_auth_result r)
{
	switch (r) {
	case MCB_AUTH_OK: return "ok";
	case MCB_AUTH_UNSIGNED: return "not signed";
	case MCB_AUTH_BAD_MAC: return "bad MAC (forged or altered)";
	case MCB_AUTH_ERROR: return "MAC computation failed";
	}
	return "unknown";
}
