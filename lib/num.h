/* SPDX-License-Identifier: MIT */
/*
 * Numbers and sizes from command lines: the one set of rules of every
 * program.  Decimal digits only (no sign, no space, no 0x); a size may end
 * in K, M or G (either case, powers of 1024).
 */
#ifndef MCB_LIB_NUM_H
#define MCB_LIB_NUM_H

#include <stdint.h>

/* 0, -EINVAL (not a number) or -ERANGE (outside [min, max]). */
int mcb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
int mcb_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *v);

#endif /* MCB_LIB_NUM_H */
