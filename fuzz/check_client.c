// SPDX-License-Identifier: MIT
/*
 * The client side of the encoder target, in its own file: the bridge and
 * the client each have a struct mcb_event.  Every datagram the bridge sends
 * must decode, as the kind it was sent as, with its sequence numbers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mcbridge_client.h"
#include "check_client.h"

void check_client_decodes(const void *buf, size_t len, int kind,
			  uint64_t bridge_seq, int has_kseq, uint64_t kseq)
{
	static struct mcb_event ev;
	enum mcb_err err = mcb_decode(buf, len, MCB_FMT_AUTO, &ev);

	if (err != MCB_OK) {
		fprintf(stderr, "bridge datagram (%zu bytes) rejected by the "
			"client: %s\n", len, mcb_strerror(err));
		abort();
	}
	if ((int)ev.kind != kind || ev.bridge_seq != bridge_seq ||
	    (has_kseq && (!(ev.has & MCB_HAS_KERNEL_SEQ) ||
			  ev.kernel_seq != kseq))) {
		fprintf(stderr, "bridge datagram decoded with other fields: "
			"kind %d/%d bridge_seq %llu/%llu\n", (int)ev.kind, kind,
			(unsigned long long)ev.bridge_seq,
			(unsigned long long)bridge_seq);
		abort();
	}
}
