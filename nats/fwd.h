/* SPDX-License-Identifier: MIT */
/* The forwarder: multicast groups in, NATS out (fwd.c). */
#ifndef MCBN_FWD_H
#define MCBN_FWD_H

#include <stdio.h>

#include <mcbridge/auth.h>

#include "lib/log.h"
#include "options.h"

/*
 * Joins the groups, prints the ready line to ready_out and notifies
 * systemd, then forwards until SIGINT/SIGTERM (which must be blocked:
 * they are read from a signalfd) and drains.  key: NULL, or datagrams
 * must be authenticated with it.  Returns 0; -EINVAL for settings that
 * cannot work (a stream that does not fit them); -EPIPE when held events
 * could not be published before the drain timeout; other -errno for
 * runtime failures.  Each failure is logged where it happens.
 */
int mcbn_fwd_run(const struct mcbn_fwd_opts *o, const struct mcb_key *key,
		 const struct mcb_log *lg, FILE *ready_out);

#endif
