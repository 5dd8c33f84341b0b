/* SPDX-License-Identifier: MIT */
/*
 * Names of the mcbridge uapi enums, shared by the encoder (bridge/) and the
 * decoder (client/) so that the JSON they exchange uses one spelling.  The
 * tables are generated from kmod/mcbridge.yaml (<mcbridge/attrs.h> declares
 * them) and live in the library, behind these accessors.
 */
#ifndef MCBRIDGE_NAMES_H
#define MCBRIDGE_NAMES_H

#include <stddef.h>
#include <mcbridge/attrs.h>

/* Name of value v in table, or NULL for values without one (UNSPEC, or
 * newer than this library), which the encoder writes as a number. */
const char *mcb_name(const struct mcb_names *table, unsigned long long v);

/* Value whose name is the len bytes at s, or -1. */
long mcb_value(const struct mcb_names *table, const char *s, size_t len);

#endif /* MCBRIDGE_NAMES_H */
