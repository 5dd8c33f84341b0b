/* SPDX-License-Identifier: MIT */
/*
 * The PubAck reader (puback.h): a small JSON walker for the one object
 * JetStream replies with.  Unknown keys are skipped, whatever their value;
 * anything that is not well-formed JSON makes the reply malformed (then
 * the publish is retried like one that got no reply).
 */
#include <stdbool.h>
#include <string.h>

#include "puback.h"

#define MAX_DEPTH 8

struct jp {
	const char *p, *end;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool eat(struct jp *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* A string; its raw contents (escapes kept, they are not needed here) in
 * out when given, cut to size. */
static bool string(struct jp *j, char *out, size_t size)
{
	size_t n = 0;

	if (!eat(j, '"'))
		return false;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if ((unsigned char)c < 0x20)
			return false;
		if (c == '\\') {
			if (j->p == j->end)
				return false;
			c = *j->p++;
		}
		if (out && n + 1 < size)
			out[n++] = c;
	}
	if (out && size)
		out[n] = '\0';
	return eat(j, '"');
}

static bool number(struct jp *j, uint64_t *v)
{
	uint64_t n = 0;
	const char *start;

	ws(j);
	start = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		unsigned d = (unsigned)(*j->p++ - '0');

		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	if (j->p == start)
		return false;
	*v = n;
	return true;
}

static bool literal(struct jp *j, const char *word)
{
	size_t len = strlen(word);

	ws(j);
	if ((size_t)(j->end - j->p) < len || memcmp(j->p, word, len) != 0)
		return false;
	j->p += len;
	return true;
}

static bool skip_value(struct jp *j, int depth);

/* Any number: the digits, then fractions and exponents, not used here. */
static bool skip_number(struct jp *j)
{
	uint64_t n;

	if (!number(j, &n))
		return false;
	while (j->p < j->end && *j->p && strchr(".eE+-0123456789", *j->p))
		j->p++;
	return true;
}

/* { "key": value, ... } with each key handed to f (or skipped). */
typedef bool (*member_fn)(struct jp *j, const char *key, void *ctx,
			  int depth);

static bool object(struct jp *j, member_fn f, void *ctx, int depth)
{
	char key[32];

	if (depth > MAX_DEPTH || !eat(j, '{'))
		return false;
	if (eat(j, '}'))
		return true;
	do {
		if (!string(j, key, sizeof(key)) || !eat(j, ':'))
			return false;
		if (!(f ? f(j, key, ctx, depth) : skip_value(j, depth)))
			return false;
	} while (eat(j, ','));
	return eat(j, '}');
}

static bool skip_value(struct jp *j, int depth)
{
	ws(j);
	if (j->p == j->end || depth > MAX_DEPTH)
		return false;
	switch (*j->p) {
	case '"':
		return string(j, NULL, 0);
	case '{':
		return object(j, NULL, NULL, depth + 1);
	case '[':
		j->p++;
		if (eat(j, ']'))
			return true;
		do {
			if (!skip_value(j, depth + 1))
				return false;
		} while (eat(j, ','));
		return eat(j, ']');
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	case '-':
		j->p++;
		return skip_number(j);
	default:
		return skip_number(j);
	}
}

static bool error_member(struct jp *j, const char *key, void *ctx,
			 int depth)
{
	struct mcbn_puback *pa = ctx;
	uint64_t v;

	if (!strcmp(key, "code") || !strcmp(key, "err_code")) {
		if (!number(j, &v) || v > 1000000)
			return false;
		*(strcmp(key, "code") ? &pa->err_code : &pa->code) =
			(unsigned)v;
		return true;
	}
	if (!strcmp(key, "description"))
		return string(j, pa->text, sizeof(pa->text));
	return skip_value(j, depth);
}

struct top {
	struct mcbn_puback *pa;
	bool has_seq, has_error, duplicate;
};

static bool top_member(struct jp *j, const char *key, void *ctx, int depth)
{
	struct top *t = ctx;

	if (!strcmp(key, "stream"))
		return string(j, t->pa->stream, sizeof(t->pa->stream));
	if (!strcmp(key, "seq")) {
		t->has_seq = true;
		return number(j, &t->pa->seq);
	}
	if (!strcmp(key, "duplicate")) {
		if (literal(j, "true")) {
			t->duplicate = true;
			return true;
		}
		return literal(j, "false");
	}
	if (!strcmp(key, "error")) {
		t->has_error = true;
		return object(j, error_member, t->pa, depth + 1);
	}
	return skip_value(j, depth);
}

void mcbn_puback_parse(const char *buf, size_t len, struct mcbn_puback *pa)
{
	struct jp j = { buf, buf + len };
	struct top t = { .pa = pa };

	memset(pa, 0, sizeof(*pa));
	if (!object(&j, top_member, &t, 0) || (ws(&j), j.p != j.end))
		pa->kind = MCBN_ACK_MALFORMED;
	else if (t.has_error)
		pa->kind = MCBN_ACK_ERROR;
	else if (!t.has_seq || !pa->stream[0])
		pa->kind = MCBN_ACK_MALFORMED;
	else
		pa->kind = t.duplicate ? MCBN_ACK_DUPLICATE : MCBN_ACK_STORED;
}
