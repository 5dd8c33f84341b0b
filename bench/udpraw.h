/* SPDX-License-Identifier: MIT */
/*
 * The head of a raw benchmark datagram (mcb-bench-udpsend ->
 * mcb-bench-listen --format raw): sender and receiver run on the same host,
 * so host byte order.  Padding follows up to the chosen datagram size.
 */
#ifndef MCB_BENCH_UDPRAW_H
#define MCB_BENCH_UDPRAW_H

#include <stdint.h>

#define BENCH_RAW_MAGIC	0x4d434242u	/* "MCBB" */

struct bench_raw {
	uint32_t magic;
	char tag[16];		/* bench tag, NUL-padded */
	uint32_t reserved;
	uint64_t seq;		/* 1, 2, ... per sender run */
	uint64_t sent_ns;	/* CLOCK_MONOTONIC at send */
};

#endif
