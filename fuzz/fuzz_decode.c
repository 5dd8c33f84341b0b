// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the client decoder (mcb_decode) on arbitrary datagrams,
 * in each accepted format, and what a listener does with an accepted one:
 * render it (JSON and human) and check its stream sequence.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcbridge_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;
static struct mcb_seq_tracker seq;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mcb_format fmts[] = { MCB_FMT_AUTO, MCB_FMT_JSON,
						MCB_FMT_BINARY };
	/* Static: the event is large (generic attributes, arena). */
	static struct mcb_event ev;
	struct mcb_render_extra extra = { .has_latency = true, .latency_ns = -1 };
	uint64_t missed;

	if (!sink) {
		sink = fopen("/dev/null", "w");
		if (!sink)
			abort();
		mcb_seq_init(&seq);
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		enum mcb_err err = mcb_decode(data, size, fmts[i], &ev);

		if (mcb_strerror(err) == NULL)
			abort();
		if (err != MCB_OK)
			continue;
		/* A decoded view must be usable as listeners use it. */
		mcb_render_json(sink, &ev, &extra);
		mcb_render_human(sink, &ev, NULL);
		(void)mcb_event_is_mcbridge(&ev);
		(void)mcb_seq_check(&seq, &ev, &missed);
	}
	return 0;
}
