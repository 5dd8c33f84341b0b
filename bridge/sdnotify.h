/* SPDX-License-Identifier: MIT */
/* The systemd notification datagram, without libsystemd. */
#ifndef MCB_SDNOTIFY_H
#define MCB_SDNOTIFY_H

/*
 * Send state (e.g. "READY=1") to $NOTIFY_SOCKET: a path, or an abstract
 * socket written with a leading '@'.  Returns 0 when unset or sent,
 * -errno on failure.
 */
int mcb_sd_notify(const char *state);

#endif
