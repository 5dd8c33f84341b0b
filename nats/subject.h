/* SPDX-License-Identifier: MIT */
/*
 * NATS subjects and message ids: tokens made safe, subjects checked, and
 * whether a stream's subject captures ours.
 *
 * Subjects are tokens separated by '.'; '*' (one token) and '>' (the rest)
 * are wildcards; whitespace ends a subject on the wire.  Names that come
 * from datagrams (family, group, command) or from the host name may hold
 * any of those, so they are mapped into a token of [A-Za-z0-9_-] only.
 */
#ifndef MCBN_SUBJECT_H
#define MCBN_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

/* Largest subject the forwarder builds: prefix and four tokens. */
#define MCBN_PREFIX_MAX		128
#define MCBN_TOKEN_MAX		64
#define MCBN_SUBJECT_MAX	(MCBN_PREFIX_MAX + 4 * (MCBN_TOKEN_MAX + 1) + 1)

/*
 * len bytes of s as one subject token in dst (cap bytes, NUL included):
 * every byte but [A-Za-z0-9_-] becomes '_', an empty name "_", cut to
 * fit.  Returns the token's length.
 */
size_t mcbn_token(char *dst, size_t cap, const char *s, size_t len);

/*
 * Is s a subject?  Non-empty tokens of printable ASCII without spaces;
 * with wildcards, '*' and '>' allowed as whole tokens ('>' last only),
 * else not at all.  0, or -EINVAL with the reason in why.
 */
int mcbn_subject_check(const char *s, bool wildcards, char *why,
		       size_t why_size);

/*
 * Does every subject that pattern matches also match filter (both may
 * hold wildcards)?  A stream whose subject is filter stores all that the
 * forwarder publishes, described by pattern.
 */
bool mcbn_subject_covers(const char *filter, const char *pattern);

/* Is s a stream name?  Non-empty, printable, no '.', '*', '>', space or
 * path separator (JetStream's rule). */
bool mcbn_stream_name_ok(const char *s);

#endif
