/* SPDX-License-Identifier: MIT */
/*
 * JSON datagram decoder.  A small recursive-descent parser over a buffer
 * that is not NUL-terminated; it fills the known fields of wire.h, copies
 * strings unescaped into the event and validates (then skips) the rest.
 */
#include <stddef.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

#include "mcbridge_client.h"
#include "mcb_attr.h"

struct jp {
	const char *p, *end;
	struct mcb_event *ev;
};

/* Output of a string: where to put the unescaped bytes. */
struct jstr {
	char *out;		/* NULL: validate only */
	size_t cap;		/* including the NUL */
	size_t len;		/* bytes written, without the NUL */
	bool clipped;
	const char *raw;	/* the contents between the quotes */
	size_t raw_len;
};

static void skip_ws(struct jp *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
				   *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static bool eat(struct jp *jp, char c)
{
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == c) {
		jp->p++;
		return true;
	}
	return false;
}

static void put_bytes(struct jstr *s, const char *b, size_t n)
{
	if (!s->out || s->clipped)
		return;
	if (s->len + n + 1 > s->cap) {
		/* Keep what fits, but never half a UTF-8 character: back
		 * off while the first byte left out continues one. */
		size_t fit = s->cap > s->len + 1 ? s->cap - s->len - 1 : 0;

		while (fit > 0 && ((unsigned char)b[fit] & 0xc0) == 0x80)
			fit--;
		memcpy(s->out + s->len, b, fit);
		s->len += fit;
		s->clipped = true;
		return;
	}
	memcpy(s->out + s->len, b, n);
	s->len += n;
}

static void put_utf8(struct jstr *s, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put_bytes(s, b, n);
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Parse a string at jp->p (after whitespace), unescaping into s. */
static enum mcb_err parse_string(struct jp *jp, struct jstr *s)
{
	s->len = 0;
	s->clipped = false;
	skip_ws(jp);
	if (jp->p >= jp->end || *jp->p != '"')
		return MCB_ERR_TYPE;
	jp->p++;
	s->raw = jp->p;
	for (;;) {
		const char *run = jp->p;

		/* Copy a run of plain bytes at once. */
		while (jp->p < jp->end && *jp->p != '"' && *jp->p != '\\' &&
		       (unsigned char)*jp->p >= 0x20)
			jp->p++;
		put_bytes(s, run, (size_t)(jp->p - run));
		if (jp->p >= jp->end)
			return MCB_ERR_SYNTAX;
		if (*jp->p == '"')
			break;
		if (*jp->p != '\\')
			return MCB_ERR_SYNTAX;	/* raw control character */
		if (jp->end - jp->p < 2) {
			jp->p = jp->end;	/* cut inside an escape */
			return MCB_ERR_SYNTAX;
		}
		char c = jp->p[1];
		jp->p += 2;
		switch (c) {
		case '"': put_bytes(s, "\"", 1); break;
		case '\\': put_bytes(s, "\\", 1); break;
		case '/': put_bytes(s, "/", 1); break;
		case 'b': put_bytes(s, "\b", 1); break;
		case 'f': put_bytes(s, "\f", 1); break;
		case 'n': put_bytes(s, "\n", 1); break;
		case 'r': put_bytes(s, "\r", 1); break;
		case 't': put_bytes(s, "\t", 1); break;
		case 'u': {
			uint32_t cp, lo;

			if (jp->end - jp->p < 4) {
				jp->p = jp->end;
				return MCB_ERR_SYNTAX;
			}
			if (hex4(jp->p, &cp))
				return MCB_ERR_SYNTAX;
			jp->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && jp->end - jp->p >= 6 &&
			    jp->p[0] == '\\' && jp->p[1] == 'u' &&
			    !hex4(jp->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				jp->p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;	/* lone surrogate */
			}
			put_utf8(s, cp);
			break;
		}
		default:
			return MCB_ERR_SYNTAX;
		}
	}
	s->raw_len = (size_t)(jp->p - s->raw);
	jp->p++;	/* closing quote */
	if (s->out && s->cap)
		s->out[s->len] = '\0';
	return MCB_OK;
}

/* Into a fixed char array of the event. */
static enum mcb_err parse_str_field(struct jp *jp, char *out, size_t cap,
				   size_t *len)
{
	struct jstr s = { .out = out, .cap = cap };
	enum mcb_err err = parse_string(jp, &s);

	if (err)
		return err;
	if (s.clipped)
		jp->ev->clipped = true;
	if (len)
		*len = s.len;
	return MCB_OK;
}

/* Past a run of at least one digit, or NULL when there is none. */
static const char *skip_digits(const char *p, const char *end)
{
	const char *start = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

/* Skip a JSON number of any form (for values we do not interpret). */
static enum mcb_err skip_number(struct jp *jp)
{
	const char *p = jp->p;

	if (p < jp->end && *p == '-')
		p++;
	if (!(p = skip_digits(p, jp->end)))
		return MCB_ERR_SYNTAX;
	if (p < jp->end && *p == '.' && !(p = skip_digits(p + 1, jp->end)))
		return MCB_ERR_SYNTAX;
	if (p < jp->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < jp->end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = skip_digits(p, jp->end)))
			return MCB_ERR_SYNTAX;
	}
	jp->p = p;
	return MCB_OK;
}

/* An unsigned integer up to UINT64_MAX, nothing else. */
static enum mcb_err parse_u64(struct jp *jp, uint64_t *v)
{
	const char *p;

	skip_ws(jp);
	p = jp->p;
	if (p >= jp->end)
		return MCB_ERR_SYNTAX;
	if (*p == '-')
		return MCB_ERR_NUMBER;
	if (*p < '0' || *p > '9')
		return MCB_ERR_TYPE;
	*v = 0;
	if (*p == '0') {
		p++;	/* JSON has no leading zeros */
	} else {
		while (p < jp->end && *p >= '0' && *p <= '9') {
			uint64_t d = (uint64_t)(*p - '0');

			if (*v > (UINT64_MAX - d) / 10)
				return MCB_ERR_NUMBER;
			*v = *v * 10 + d;
			p++;
		}
	}
	if (p < jp->end && (*p == '.' || *p == 'e' || *p == 'E' ||
			    (*p >= '0' && *p <= '9')))
		return MCB_ERR_NUMBER;
	jp->p = p;
	return MCB_OK;
}

static enum mcb_err parse_u32(struct jp *jp, uint32_t *v)
{
	uint64_t x;
	enum mcb_err err = parse_u64(jp, &x);

	if (err)
		return err;
	if (x > UINT32_MAX)
		return MCB_ERR_NUMBER;
	*v = (uint32_t)x;
	return MCB_OK;
}

static bool eat_word(struct jp *jp, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(jp->end - jp->p) >= n && memcmp(jp->p, w, n) == 0) {
		jp->p += n;
		return true;
	}
	return false;
}

static enum mcb_err parse_bool(struct jp *jp, bool *v)
{
	skip_ws(jp);
	if (eat_word(jp, "true"))
		*v = true;
	else if (eat_word(jp, "false"))
		*v = false;
	else
		return MCB_ERR_TYPE;
	return MCB_OK;
}

/* Validate and skip any value; depth counts enclosing containers. */
static enum mcb_err skip_value(struct jp *jp, int depth)
{
	enum mcb_err err;

	skip_ws(jp);
	if (jp->p >= jp->end)
		return MCB_ERR_SYNTAX;
	switch (*jp->p) {
	case '"': {
		struct jstr s = { 0 };

		return parse_string(jp, &s);
	}
	case '{':
	case '[': {
		char close = *jp->p == '{' ? '}' : ']';
		bool obj = close == '}';

		if (depth >= MCB_JSON_MAX_DEPTH)
			return MCB_ERR_DEPTH;
		jp->p++;
		if (eat(jp, close))
			return MCB_OK;
		do {
			if (obj) {
				struct jstr k = { 0 };

				if ((err = parse_string(jp, &k)))
					return err == MCB_ERR_TYPE ?
						MCB_ERR_SYNTAX : err;
				if (!eat(jp, ':'))
					return MCB_ERR_SYNTAX;
			}
			if ((err = skip_value(jp, depth + 1)))
				return err;
		} while (eat(jp, ','));
		return eat(jp, close) ? MCB_OK : MCB_ERR_SYNTAX;
	}
	case 't':
		return eat_word(jp, "true") ? MCB_OK : MCB_ERR_SYNTAX;
	case 'f':
		return eat_word(jp, "false") ? MCB_OK : MCB_ERR_SYNTAX;
	case 'n':
		return eat_word(jp, "null") ? MCB_OK : MCB_ERR_SYNTAX;
	default:
		return skip_number(jp);
	}
}

/* A uapi enum sent as its name (names.h) or, when unnamed, a number. */
static enum mcb_err parse_enum(struct jp *jp, const struct mcb_names *table,
			       uint32_t *v)
{
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == '"') {
		char name[32];
		size_t len;
		long x;
		enum mcb_err err;
		struct jstr s = { .out = name, .cap = sizeof(name) };

		if ((err = parse_string(jp, &s)))
			return err;
		len = s.len;
		x = s.clipped ? -1 : mcb_value(table, name, len);
		if (x < 0)
			return MCB_ERR_TYPE;
		*v = (uint32_t)x;
		return MCB_OK;
	}
	return parse_u32(jp, v);
}

static bool is_hex_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return n % 2 == 0;
}

/* One {"type":N,"len":N,<value>} of "attrs". */
static enum mcb_err parse_attr(struct jp *jp, struct mcb_attr *a)
{
	struct mcb_event *ev = jp->ev;
	bool have_type = false;
	enum mcb_err err;

	memset(a, 0, sizeof(*a));
	if (!eat(jp, '{'))
		return MCB_ERR_TYPE;
	if (eat(jp, '}'))
		return MCB_ERR_MISSING;
	do {
		char key[16];
		struct jstr k = { .out = key, .cap = sizeof(key) };
		uint64_t x;

		if ((err = parse_string(jp, &k)))
			return err == MCB_ERR_TYPE ? MCB_ERR_SYNTAX : err;
		if (!eat(jp, ':'))
			return MCB_ERR_SYNTAX;
		if (k.clipped) {
			err = skip_value(jp, 2);
		} else if (!strcmp(key, "type") || !strcmp(key, "len")) {
			if (!(err = parse_u64(jp, &x)) && x > UINT16_MAX)
				err = MCB_ERR_NUMBER;
			if (key[0] == 't') {
				a->type = (uint16_t)x;
				have_type = true;
			} else {
				a->len = (uint16_t)x;
			}
		} else if (!strcmp(key, "u8") || !strcmp(key, "u16") ||
			   !strcmp(key, "u32") || !strcmp(key, "u64")) {
			static const struct { const char *k; uint8_t kind;
					      uint64_t max; } num[] = {
				{ "u8", MCB_ATTR_U8, UINT8_MAX },
				{ "u16", MCB_ATTR_U16, UINT16_MAX },
				{ "u32", MCB_ATTR_U32, UINT32_MAX },
				{ "u64", MCB_ATTR_U64, UINT64_MAX },
			};
			err = parse_u64(jp, &a->num);
			for (size_t i = 0; !err && i < 4; i++) {
				if (strcmp(key, num[i].k))
					continue;
				a->kind = num[i].kind;
				if (a->num > num[i].max)
					err = MCB_ERR_NUMBER;
			}
		} else if (!strcmp(key, "str")) {
			struct jstr s = {
				.out = ev->arena + ev->arena_used,
				.cap = sizeof(ev->arena) - ev->arena_used,
			};

			if (!(err = parse_string(jp, &s))) {
				a->kind = MCB_ATTR_STR;
				a->data = s.out;
				a->data_len = (uint32_t)s.len;
				a->clipped = s.clipped;
				if (s.cap)
					ev->arena_used += s.len + 1;
			}
		} else if (!strcmp(key, "hex")) {
			struct jstr s = { 0 };

			if (!(err = parse_string(jp, &s))) {
				if (!is_hex_text(s.raw, s.raw_len))
					return MCB_ERR_TYPE;
				a->kind = MCB_ATTR_HEX;
				a->data = s.raw;
				a->data_len = (uint32_t)s.raw_len;
			}
		} else if (!strcmp(key, "nested")) {
			const char *start;

			skip_ws(jp);
			start = jp->p;
			if (jp->p >= jp->end || *jp->p != '[')
				return MCB_ERR_TYPE;
			/* Validated and kept as text: the renderer copies
			 * it, nobody needs the inner values decoded. */
			if (!(err = skip_value(jp, 2))) {
				a->kind = MCB_ATTR_NESTED;
				a->data = start;
				a->data_len = (uint32_t)(jp->p - start);
			}
		} else {
			err = skip_value(jp, 2);
		}
		if (err)
			return err;
	} while (eat(jp, ','));
	if (!eat(jp, '}'))
		return MCB_ERR_SYNTAX;
	return have_type ? MCB_OK : MCB_ERR_MISSING;
}

static enum mcb_err parse_attrs(struct jp *jp)
{
	struct mcb_event *ev = jp->ev;
	enum mcb_err err;

	if (!eat(jp, '['))
		return MCB_ERR_TYPE;
	ev->has |= MCB_HAS_ATTRS;
	if (eat(jp, ']'))
		return MCB_OK;
	do {
		struct mcb_attr scratch;
		struct mcb_attr *a = ev->nattrs < MCB_EVENT_MAX_ATTRS ?
			&ev->attrs[ev->nattrs] : &scratch;

		if ((err = parse_attr(jp, a)))
			return err;
		ev->attrs_total++;
		if (a != &scratch)
			ev->nattrs++;
	} while (eat(jp, ','));
	return eat(jp, ']') ? MCB_OK : MCB_ERR_SYNTAX;
}

enum { SEEN_KIND = 1, SEEN_FAMILY = 2, SEEN_GROUP = 4, SEEN_BSEQ = 8,
       SEEN_BTIME = 16 };

/* The fixed members; the mcbridge family's attributes are lib/mcb_attr.h's. */
enum member_kind { M_U32, M_U64, M_STR };

#define EV_FIELD(f)	offsetof(struct mcb_event, f), \
			sizeof(((struct mcb_event *)0)->f)

static const struct member {
	const char *key;
	enum member_kind kind;
	unsigned seen;			/* SEEN_*: required members */
	uint32_t has;			/* MCB_HAS_* it sets */
	size_t off, size;		/* the field */
} members[] = {
	{ MCB_JSON_FAMILY, M_STR, SEEN_FAMILY, 0, EV_FIELD(family) },
	{ MCB_JSON_GROUP, M_STR, SEEN_GROUP, 0, EV_FIELD(group) },
	{ MCB_JSON_CMD, M_STR, 0, MCB_HAS_CMD_NAME, EV_FIELD(cmd_name) },
	{ MCB_JSON_CMD_ID, M_U32, 0, MCB_HAS_CMD, EV_FIELD(cmd) },
	{ MCB_JSON_BRIDGE_SEQ, M_U64, SEEN_BSEQ, 0, EV_FIELD(bridge_seq) },
	{ MCB_JSON_BRIDGE_TIME, M_U64, SEEN_BTIME, 0, EV_FIELD(bridge_time_ns) },
	{ MCB_JSON_BRIDGE_RUN, M_U32, 0, 0, EV_FIELD(bridge_run) },
	/* "kernel_seq" (notices) and "seq" (mcbridge events) are the same
	 * kernel sequence number. */
	{ MCB_JSON_KERNEL_SEQ, M_U64, 0, MCB_HAS_KERNEL_SEQ,
	  EV_FIELD(kernel_seq) },
	{ MCB_JSON_COUNT, M_U64, 0, MCB_HAS_COUNT, EV_FIELD(count) },
};

static enum mcb_err parse_field(struct jp *jp, const struct member *m)
{
	struct mcb_event *ev = jp->ev;
	void *field = (char *)ev + m->off;

	ev->has |= m->has;
	switch (m->kind) {
	case M_U32:
		return parse_u32(jp, field);
	case M_U64:
		return parse_u64(jp, field);
	case M_STR:
		return parse_str_field(jp, field, m->size, NULL);
	}
	return MCB_ERR_FORMAT;
}

/* An mcbridge attribute's member, into its field of struct mcb_event. */
static enum mcb_err parse_attr_member(struct jp *jp,
				      const struct mcb_attr_desc *d)
{
	struct mcb_event *ev = jp->ev;
	void *field = (char *)ev + d->field_off;

	ev->has |= d->has;
	switch (d->type) {
	case MCB_AT_U32:
		return d->names ? parse_enum(jp, d->names, field) :
			parse_u32(jp, field);
	case MCB_AT_U64:
		return parse_u64(jp, field);
	case MCB_AT_STRING:
		return parse_str_field(jp, field, d->field_size,
				       (size_t *)((char *)ev + d->len_off));
	}
	return MCB_ERR_FORMAT;
}

static enum mcb_err parse_member(struct jp *jp, const char *key,
				 unsigned *seen)
{
	const struct mcb_attr_desc *d;
	struct mcb_event *ev = jp->ev;
	enum mcb_err err;

	if (!strcmp(key, MCB_JSON_KIND)) {
		char kind[16];
		size_t n;

		if ((err = parse_str_field(jp, kind, sizeof(kind), &n)))
			return err;
		if (!strcmp(kind, MCB_JSON_KIND_EVENT))
			ev->kind = MCB_KIND_EVENT;
		else if (!strcmp(kind, MCB_JSON_KIND_OVERRUN))
			ev->kind = MCB_KIND_OVERRUN;
		else if (!strcmp(kind, MCB_JSON_KIND_LOST))
			ev->kind = MCB_KIND_LOST;
		else if (!strcmp(kind, MCB_JSON_KIND_TAIL))
			ev->kind = MCB_KIND_TAIL;
		else
			return MCB_ERR_KIND;
		*seen |= SEEN_KIND;
		return MCB_OK;
	}
	if (!strcmp(key, MCB_JSON_TRUNCATED))
		return parse_bool(jp, &ev->truncated);
	if (!strcmp(key, MCB_JSON_ATTRS))
		return parse_attrs(jp);
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (!strcmp(key, members[i].key)) {
			*seen |= members[i].seen;
			return parse_field(jp, &members[i]);
		}
	d = mcb_attr_by_json_key(key);
	if (d)
		return parse_attr_member(jp, d);
	return skip_value(jp, 1);	/* a key from a newer encoder */
}

enum mcb_err mcb_decode_json(const char *buf, size_t len,
			     struct mcb_event *ev)
{
	struct jp jp = { .p = buf, .end = buf + len, .ev = ev };
	unsigned seen = 0;
	enum mcb_err err;

	mcb_event_reset(ev);
	ev->format = MCB_FMT_JSON;
	if (!eat(&jp, '{'))
		return len ? MCB_ERR_FORMAT : MCB_ERR_EMPTY;
	if (!eat(&jp, '}')) {
		do {
			char key[24];
			struct jstr k = { .out = key, .cap = sizeof(key) };

			if ((err = parse_string(&jp, &k))) {
				if (err == MCB_ERR_TYPE)
					err = MCB_ERR_SYNTAX;
				goto fail;
			}
			if (!eat(&jp, ':')) {
				err = MCB_ERR_SYNTAX;
				goto fail;
			}
			/* A key too long for the buffer is no key of ours. */
			err = k.clipped ? skip_value(&jp, 1) :
				parse_member(&jp, key, &seen);
			if (err)
				goto fail;
		} while (eat(&jp, ','));
		if (!eat(&jp, '}'))
			return jp.p >= jp.end ? MCB_ERR_TRUNCATED : MCB_ERR_SYNTAX;
	}
	skip_ws(&jp);	/* the encoder's "\n" */
	if (jp.p != jp.end)
		return MCB_ERR_TRAILING;
	if ((seen & (SEEN_KIND | SEEN_FAMILY | SEEN_GROUP | SEEN_BSEQ |
		     SEEN_BTIME)) != (SEEN_KIND | SEEN_FAMILY | SEEN_GROUP |
				      SEEN_BSEQ | SEEN_BTIME))
		return MCB_ERR_MISSING;
	if (ev->kind == MCB_KIND_EVENT &&
	    !(ev->has & (MCB_HAS_CMD | MCB_HAS_CMD_NAME)))
		return MCB_ERR_MISSING;
	if (ev->kind != MCB_KIND_EVENT && !(ev->has & MCB_HAS_COUNT))
		return MCB_ERR_MISSING;
	if (ev->bridge_run) {
		ev->run_id = ev->bridge_run;
		ev->has |= MCB_HAS_RUN_ID;
	}
	return MCB_OK;

fail:
	/* Running out of bytes mid-value means the datagram was cut. */
	if ((err == MCB_ERR_SYNTAX || err == MCB_ERR_TYPE) && jp.p >= jp.end)
		err = MCB_ERR_TRUNCATED;
	return err;
}
