/* SPDX-License-Identifier: MIT */
/* NATS server URL lists, checked before the client library sees them. */
#ifndef MCBN_URL_H
#define MCBN_URL_H

#include <stdbool.h>
#include <stddef.h>

/* URLs in one list at most. */
#define MCBN_MAX_SERVERS	32

/*
 * "URL[,URL]...", at most MCBN_MAX_SERVERS and 4095 characters, each [nats://|tls://][USER[:PASS]@]HOST[:PORT], HOST a
 * name, an IPv4 address or an IPv6 one in brackets.  0, or -EINVAL with
 * the reason in why.
 */
int mcbn_urls_check(const char *list, char *why, size_t why_size);

#endif
