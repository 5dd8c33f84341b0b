/* SPDX-License-Identifier: MIT */
/* mcbridge-nats sub: the fleet's events on a terminal (sub.c). */
#ifndef MCBN_SUB_H
#define MCBN_SUB_H

#include "options.h"

/* Until --count, --timeout, SIGINT or SIGTERM (blocked by the caller: a
 * signalfd reads them).  0 or -errno, reported on stderr. */
int mcbn_sub_run(const struct mcbn_sub_opts *o);

#endif
