/* SPDX-License-Identifier: MIT */
/* A socket's receive buffer, set up the same way by every program. */
#ifndef MCB_LIB_SOCKBUF_H
#define MCB_LIB_SOCKBUF_H

#include <stdbool.h>

/*
 * Ask for bytes of receive buffer: SO_RCVBUFFORCE first, which passes
 * net.core.rmem_max when we have CAP_NET_ADMIN, else SO_RCVBUF, which the
 * kernel caps.  Returns what was obtained (SO_RCVBUF read back: the kernel
 * reports twice the payload size), or -errno; *forced says which one took.
 */
int mcb_set_rcvbuf(int fd, int bytes, bool *forced);

#endif /* MCB_LIB_SOCKBUF_H */
