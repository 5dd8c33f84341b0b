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

/*
 * Connect to $NOTIFY_SOCKET now and send through that socket from then on,
 * so notifications still work after privileges are dropped.  Returns 0 when
 * unset or connected, -errno on failure.
 */
int mcb_sd_notify_connect(void);

#endif
