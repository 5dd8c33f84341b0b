// SPDX-License-Identifier: MIT
/* Monotonic time: see clock.h. */
#include "lib/clock.h"

#include <time.h>

uint64_t mcb_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer (vDSO, no errno):
	 * the same clock as the kernel's timestamp_ns, so they compare. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
