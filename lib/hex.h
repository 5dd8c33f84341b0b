/* SPDX-License-Identifier: MIT */
/* Hexadecimal digits: lower case out; in, either case or lower case only. */
#ifndef MCB_LIB_HEX_H
#define MCB_LIB_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* 2 * n lower-case digits at out, no NUL. */
void mcb_hex_encode(char *out, const void *p, size_t n);
/* 0..15, or -1 for anything but a digit (upper case only if any_case). */
int mcb_hex_value(unsigned char c, bool any_case);
/* n bytes from the 2 * n digits at s: 0, or -EINVAL with out undefined. */
int mcb_hex_decode(void *out, const char *s, size_t n, bool any_case);

#endif /* MCB_LIB_HEX_H */
