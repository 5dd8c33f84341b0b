// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the repair channel's parsers (lib/repairmsg.c) on
 * arbitrary bytes - as a request (what mcbridged reads from anyone who
 * can reach its repair port) and as an answer (what a listener reads),
 * each without and with a key, the datagrams inside a DATA message
 * decoded as a listener would.  A request that parses must encode back
 * to the very bytes (the one format, both ways).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mcbridge/repair.h>

#include "mcbridge_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key of the signed seeds (gen-seeds.c). */
static const char fuzz_key[] = "mcbridge fuzz key, 32 bytes long";

static struct mcb_auth *key(void)
{
	static struct mcb_auth a;
	static bool made;

	if (!made) {
		struct mcb_key k = { .len = sizeof(fuzz_key) - 1 };

		memcpy(k.bytes, fuzz_key, k.len);
		if (mcb_auth_init(&a, &k) < 0)
			abort();
		made = true;
	}
	return &a;
}

static void request(const uint8_t *data, size_t size, struct mcb_auth *a)
{
	static unsigned char back[512];
	struct mcb_repair_msg m;
	size_t n;

	if (mcb_repair_parse_req(data, size, a, &m) != MCB_RP_OK)
		return;
	if (m.family[MCB_WIRE_NAMSIZ - 1] || m.group[MCB_WIRE_NAMSIZ - 1] ||
	    (m.af != 4 && m.af != 6))
		abort();
	/* Signed only when it was (a key checks it; without one the MAC
	 * is not ours to recompute). */
	if (m.auth && !a)
		return;
	n = mcb_repair_encode(&m, m.auth ? a : NULL, back, sizeof(back));
	if (n != size || memcmp(back, data, size) != 0)
		abort();
}

static void answer(const uint8_t *data, size_t size, struct mcb_auth *a)
{
	/* Static: the event is large. */
	static struct mcb_event ev;
	const unsigned char *d;
	struct mcb_repair_msg m;
	size_t pos = 0, dl, recs = 0;

	if (mcb_repair_parse_ans(data, size, a, &m) != MCB_RP_OK)
		return;
	if (m.type != MCB_REPAIR_DATA && m.type != MCB_REPAIR_END)
		abort();
	while (mcb_repair_data_next(&m, &pos, &d, &dl)) {
		if (d < data || d + dl > data + size || !dl)
			abort();
		(void)mcb_decode(d, dl, MCB_FMT_AUTO, &ev);
		if (a)
			(void)mcb_auth_verify(a, d, dl, &m.epoch);
		recs++;
	}
	if (m.type == MCB_REPAIR_DATA && recs != m.count)
		abort();
	(void)mcb_repair_status_str(m.status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size, NULL);
	request(data, size, key());
	answer(data, size, NULL);
	answer(data, size, key());
	return 0;
}
