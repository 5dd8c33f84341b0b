/* SPDX-License-Identifier: MIT */
/* Subject tokens, subject checks, subject coverage (subject.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "subject.h"

static bool token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

size_t mcbn_token(char *dst, size_t cap, const char *s, size_t len)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len && n + 1 < cap; i++)
		dst[n++] = token_char((unsigned char)s[i]) ? s[i] : '_';
	if (n == 0 && cap > 1)
		dst[n++] = '_';
	dst[n] = '\0';
	return n;
}

int mcbn_subject_check(const char *s, bool wildcards, char *why,
		       size_t why_size)
{
	const char *tok = s;

	if (!*s) {
		snprintf(why, why_size, "empty subject");
		return -EINVAL;
	}
	for (;;) {
		size_t len = strcspn(tok, ".");
		bool last = tok[len] == '\0';

		if (len == 0) {
			snprintf(why, why_size, "empty token in '%s'", s);
			return -EINVAL;
		}
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)tok[i];

			if (c <= ' ' || c >= 0x7f) {
				snprintf(why, why_size, "space or control "
					 "character in subject");
				return -EINVAL;
			}
			if (c != '*' && c != '>')
				continue;
			if (!wildcards) {
				snprintf(why, why_size, "wildcard '%c' in "
					 "'%s'", c, s);
				return -EINVAL;
			}
			if (len != 1 || (c == '>' && !last)) {
				snprintf(why, why_size, "'%c' must be a "
					 "whole token%s in '%s'", c,
					 c == '>' ? ", the last" : "", s);
				return -EINVAL;
			}
		}
		if (last)
			return 0;
		tok += len + 1;
	}
}

/* The next token of *s (advanced past it and its dot): its length, or
 * 0 at the end. */
static size_t next_token(const char **s, const char **tok)
{
	size_t len;

	if (!**s)
		return 0;
	*tok = *s;
	len = strcspn(*s, ".");
	*s += len + ((*s)[len] == '.');
	return len;
}

bool mcbn_subject_covers(const char *filter, const char *pattern)
{
	const char *ft, *pt;
	size_t fl, pl;

	for (;;) {
		fl = next_token(&filter, &ft);
		pl = next_token(&pattern, &pt);
		if (fl == 0 || pl == 0)
			return fl == 0 && pl == 0;
		if (fl == 1 && *ft == '>')
			return true;
		/* '>' in the pattern: any number of tokens, which only a
		 * '>' of the filter (above) takes. */
		if (pl == 1 && *pt == '>')
			return false;
		if (fl == 1 && *ft == '*')
			continue;
		/* A literal token of the filter takes only that token. */
		if (fl != pl || memcmp(ft, pt, fl) != 0 ||
		    (pl == 1 && *pt == '*'))
			return false;
	}
}

bool mcbn_stream_name_ok(const char *s)
{
	if (!*s || strlen(s) > 255)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '.' || c == '*' ||
		    c == '>' || c == '/' || c == '\\')
			return false;
	}
	return true;
}
