/* SPDX-License-Identifier: MIT */
/* Monotonic time, the clock of the kernel's timestamp_ns. */
#ifndef MCB_LIB_CLOCK_H
#define MCB_LIB_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns (also declared in mcbridge_client.h). */
uint64_t mcb_now_ns(void);

#endif /* MCB_LIB_CLOCK_H */
