// SPDX-License-Identifier: MIT
/*
 * JSON wire format (include/mcbridge/wire.h): one object per datagram.
 *
 * Writes straight into the caller's datagram buffer; nothing is allocated.
 * Each top-level attribute is written whole or not at all: when one does not
 * fit, the writer rolls back to before it, stops, and flags "truncated".
 */
#include "event.h"

#include <endian.h>
#include <string.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>
#include <mcbridge/nla.h>

#include "lib/hex.h"
#include "lib/jsonstr.h"
#include "mcb_attr.h"

/* Nested attributes deeper than this are shown as hex (bounds the stack). */

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	bool full;	/* a write did not fit; everything after is dropped */
};

/* Inline: most copies are of constant length (keys), which the compiler
 * then turns into a few moves instead of a call. */
static inline __attribute__((always_inline)) void
put(struct jw *w, const char *s, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

/* "00".."99": two digits per division. */
static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

static const uint64_t pow10[20] = {	/* 10^0 .. 10^19 */
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
	10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
	100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull,
};

/* Decimal digits of v (0 has one): from its bit length, log10(2) being
 * about 1233 / 4096, then one comparison. */
static inline unsigned digits(uint64_t v)
{
	uint64_t x = v | 1;
	unsigned t = ((unsigned)(64 - __builtin_clzll(x)) * 1233) >> 12;

	return t + 1 - (x < pow10[t]);
}

/* x < 10^8 as exactly 8 digits ending at p, in 32-bit arithmetic:
 * two halves of four, each two pairs. */
static inline void put8(char *p, uint32_t x)
{
	uint32_t hi = x / 10000, lo = x % 10000;

	memcpy(p - 8, digit_pairs + 2 * (hi / 100), 2);
	memcpy(p - 6, digit_pairs + 2 * (hi % 100), 2);
	memcpy(p - 4, digit_pairs + 2 * (lo / 100), 2);
	memcpy(p - 2, digit_pairs + 2 * (lo % 100), 2);
}

/* Written in place, back to front: 8 digits at a time in 32 bits. */
static void put_u64(struct jw *w, uint64_t v)
{
	unsigned n = digits(v);
	char *p;
	uint32_t x;

	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return;
	}
	p = w->buf + w->len + n;
	w->len += n;
	while (v >= 100000000u) {
		put8(p, (uint32_t)(v % 100000000u));
		p -= 8;
		v /= 100000000u;
	}
	for (x = (uint32_t)v; x >= 100; x /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (x % 100), 2);
	}
	if (x >= 10)
		memcpy(p - 2, digit_pairs + 2 * x, 2);
	else
		p[-1] = (char)('0' + x);
}

/* A JSON string, by the one writer (lib/jsonstr.h), in place, its
 * quotes and all checked for room once. */
static void put_str(struct jw *w, const void *data, size_t n)
{
	char *d = w->buf + w->len;
	size_t len;

	/* Escaping never shortens: without room for n + 2 it cannot fit. */
	if (w->full || n + 2 > w->cap - w->len) {
		w->full = true;
		return;
	}
	d[0] = '"';
	if (mcb_json_escape_into(d + 1, w->cap - w->len - 2, data, n,
				 &len) < n) {
		w->full = true;
		return;
	}
	d[1 + len] = '"';
	w->len += len + 2;
}

static void put_hex(struct jw *w, const unsigned char *p, size_t n)
{
	char hex[64];

	PUTS(w, "\"");
	for (size_t i = 0; i < n; i += sizeof(hex) / 2) {
		size_t k = n - i < sizeof(hex) / 2 ? n - i : sizeof(hex) / 2;

		mcb_hex_encode(hex, p + i, k);
		put(w, hex, 2 * k);
	}
	PUTS(w, "\"");
}

/* ,"key": */
static void put_key(struct jw *w, const char *key)
{
	PUTS(w, ",\"");
	put(w, key, strlen(key));
	PUTS(w, "\":");
}

/* The same for a key known at compile time: one copy, no strlen. */
#define KEY_PREFIX(key)	",\"" key "\":"
#define PUT_KEY(w, key)	PUTS((w), KEY_PREFIX(key))

static void put_generic_list(struct jw *w, const unsigned char *p, size_t n,
			     int depth);

/* mcb_nla_next() for attributes in host order, as the kernel sends them,
 * true while there is a whole one: the walk of every mcbridge event. */
static inline bool nla_next_host(struct mcb_nla_iter *it, uint16_t *type,
				 uint16_t *flags, const unsigned char **payload,
				 uint16_t *plen)
{
	size_t left = (size_t)(it->end - it->pos), step;
	struct nlattr a;

	if (left < NLA_HDRLEN)
		return false;
	memcpy(&a, it->pos, sizeof(a));
	if (a.nla_len < NLA_HDRLEN || a.nla_len > left)
		return false;
	*type = a.nla_type & NLA_TYPE_MASK;
	*flags = a.nla_type & (NLA_F_NESTED | NLA_F_NET_BYTEORDER);
	*payload = it->pos + NLA_HDRLEN;
	*plen = (uint16_t)(a.nla_len - NLA_HDRLEN);
	step = NLA_ALIGN(a.nla_len);
	it->pos += step < left ? step : left;
	return true;
}

/*
 * One generic attribute, {"type":N,"len":N,<kind>:value}, its kind chosen by
 * the rule shared with the decoder (include/mcbridge/nla.h).
 */
static void put_generic(struct jw *w, uint16_t type, uint16_t flags,
			const unsigned char *p, uint16_t n, int depth)
{
	enum mcb_attr_kind kind = mcb_nla_classify(flags, p, n, MCB_NLA_HOST_BE,
						   depth);
	bool be = MCB_NLA_HOST_BE || (flags & NLA_F_NET_BYTEORDER);

	PUTS(w, "{\"type\":");
	put_u64(w, type);
	PUTS(w, ",\"len\":");
	put_u64(w, n);
	put_key(w, mcb_attr_kind_key(kind));
	switch (kind) {
	case MCB_ATTR_U8:
	case MCB_ATTR_U16:
	case MCB_ATTR_U32:
	case MCB_ATTR_U64:
		put_u64(w, mcb_nla_uint(p, n, be));
		break;
	case MCB_ATTR_STR:
		put_str(w, p, n - 1u);	/* without its NUL */
		break;
	case MCB_ATTR_NESTED:
		put_generic_list(w, p, n, depth + 1);
		break;
	case MCB_ATTR_HEX:
		put_hex(w, p, n);
		break;
	}
	PUTS(w, "}");
}

static void put_generic_list(struct jw *w, const unsigned char *p, size_t n,
			     int depth)
{
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;
	bool first = true;

	mcb_nla_iter_init(&it, p, n, MCB_NLA_HOST_BE);
	PUTS(w, "[");
	while (mcb_nla_next(&it, &type, &flags, &pl, &plen) == 1) {
		if (!first)
			PUTS(w, ",");
		first = false;
		put_generic(w, type, flags, pl, plen, depth);
	}
	PUTS(w, "]");
}

/* A named mcbridge attribute (lib/mcb_attr.h) as its key and value. */
static void put_named(struct jw *w, const struct mcb_attr_desc *d,
		      const unsigned char *p, uint16_t n)
{
	const char *name;
	uint64_t v;

	put(w, d->json_prefix, d->json_prefix_len);
	switch (d->type) {
	case MCB_AT_U32:
	case MCB_AT_U64:
		/* Named means of exactly its size (mcb_attr_named), and the
		 * kernel's attributes are in host order: a plain load. */
		if (d->type == MCB_AT_U32) {
			uint32_t x;

			memcpy(&x, p, sizeof(x));
			v = x;
		} else {
			memcpy(&v, p, sizeof(v));
		}
		name = d->names ? mcb_names_get(d->names, v) : NULL;
		if (name)
			put_str(w, name, strlen(name));
		else
			put_u64(w, v);	/* no name in the spec: a number */
		break;
	case MCB_AT_STRING:
		/* The terminating NUL is not text; a NUL inside is kept. */
		if (n && p[n - 1] == '\0')
			n--;
		put_str(w, p, n);
		break;
	}
}

/* ,"cmd":NAME,"cmd_id":N: the name from the spec (the mcbridge family),
 * else the number as a string. */
static void put_cmd(struct jw *w, uint8_t cmd_id, bool is_mcbridge)
{
	const char *cmd = is_mcbridge ? mcb_names_get(mcb_cmd_names, cmd_id) :
			  NULL;

	PUT_KEY(w, MCB_JSON_CMD);
	if (cmd) {
		put_str(w, cmd, strlen(cmd));
	} else {
		PUTS(w, "\"");
		put_u64(w, cmd_id);
		PUTS(w, "\"");
	}
	PUT_KEY(w, MCB_JSON_CMD_ID);
	put_u64(w, cmd_id);
}

/* The pieces every datagram of a mapping repeats, by this writer. */
void mcb_encode_json_prepare(struct mcb_enc_prep *p)
{
	struct jw w = { p->json, 0, sizeof(p->json), false };

	PUT_KEY(&w, MCB_JSON_FAMILY);
	put_str(&w, p->family, strlen(p->family));
	PUT_KEY(&w, MCB_JSON_GROUP);
	put_str(&w, p->group, strlen(p->group));
	p->json_len = w.full ? 0 : w.len;
	w = (struct jw){ p->json_run, 0, sizeof(p->json_run), false };
	if (p->run) {
		PUT_KEY(&w, MCB_JSON_BRIDGE_RUN);
		put_u64(&w, p->run);
	}
	p->json_run_len = w.full ? 0 : w.len;
	w = (struct jw){ p->json_cmd, 0, sizeof(p->json_cmd), false };
	if (p->is_mcbridge)
		put_cmd(&w, p->cmd, true);
	p->json_cmd_len = w.full ? 0 : w.len;
}

/* Room kept for the closing "],"truncated":true}\n". */
#define JSON_CLOSE_RESERVE	(sizeof("],\"" MCB_JSON_TRUNCATED "\":true}\n") - 1)

static const char *kind_name(enum mcb_wire_kind k)
{
	switch (k) {
	case MCB_KIND_EVENT: return MCB_JSON_KIND_EVENT;
	case MCB_KIND_OVERRUN: return MCB_JSON_KIND_OVERRUN;
	case MCB_KIND_LOST: return MCB_JSON_KIND_LOST;
	case MCB_KIND_TAIL: return MCB_JSON_KIND_TAIL;
	}
	return "unknown";
}

/* Room for the closing "]}\n" of a complete object. */
#define JSON_END_RESERVE	3

/* One pass, keeping reserve bytes of cap for the closing. */
static size_t encode(const struct mcb_nl_event *ev, void *buf, size_t cap,
		     size_t reserve, bool *truncated)
{
	struct jw w = { buf, 0, 0, false };
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;
	size_t mark;
	bool trunc = false, generic = false;

	*truncated = false;
	if (cap <= reserve)
		return 0;
	w.cap = cap - reserve;

	if (ev->kind == MCB_KIND_EVENT) {
		PUTS(&w, "{\"" MCB_JSON_KIND "\":\"" MCB_JSON_KIND_EVENT "\"");
	} else {
		PUTS(&w, "{\"" MCB_JSON_KIND "\":");
		put_str(&w, kind_name(ev->kind), strlen(kind_name(ev->kind)));
	}
	if (ev->prep) {
		put(&w, ev->prep->json, ev->prep->json_len);
	} else {
		PUT_KEY(&w, MCB_JSON_FAMILY);
		put_str(&w, ev->family, strlen(ev->family));
		PUT_KEY(&w, MCB_JSON_GROUP);
		put_str(&w, ev->group, strlen(ev->group));
	}
	PUT_KEY(&w, MCB_JSON_BRIDGE_SEQ);
	put_u64(&w, ev->bridge_seq);
	PUT_KEY(&w, MCB_JSON_BRIDGE_TIME);
	put_u64(&w, ev->bridge_time_ns);
	if (ev->prep && ev->bridge_run == ev->prep->run) {
		put(&w, ev->prep->json_run, ev->prep->json_run_len);
	} else if (ev->bridge_run) {
		PUT_KEY(&w, MCB_JSON_BRIDGE_RUN);
		put_u64(&w, ev->bridge_run);
	}

	if (ev->kind != MCB_KIND_EVENT) {
		PUT_KEY(&w, MCB_JSON_COUNT);
		put_u64(&w, ev->count);
		if (ev->has_kernel_seq) {
			PUT_KEY(&w, MCB_JSON_KERNEL_SEQ);
			put_u64(&w, ev->kernel_seq);
		}
		goto close;
	}

	if (ev->prep && ev->prep->json_cmd_len && ev->cmd == ev->prep->cmd &&
	    ev->is_mcbridge == ev->prep->is_mcbridge)
		put(&w, ev->prep->json_cmd, ev->prep->json_cmd_len);
	else
		put_cmd(&w, ev->cmd, ev->is_mcbridge);
	if (w.full)
		return 0;	/* not even the fixed fields fit */

	/* Pass 1: the mcbridge family's attributes as named keys. */
	if (ev->is_mcbridge) {
		const struct mcb_attr_desc *d;
		uint64_t taken = 0;

		mcb_nla_iter_init(&it, ev->attrs, ev->attr_len, MCB_NLA_HOST_BE);
		while (nla_next_host(&it, &type, &flags, &pl, &plen)) {
			if (type == MCBRIDGE_ATTR_PAD)
				continue;	/* alignment filler, no data */
			d = mcb_attr_named(type, flags, plen, &taken);
			if (!d) {
				generic = true;
				continue;
			}
			mark = w.len;
			put_named(&w, d, pl, plen);
			if (w.full) {
				w.len = mark;
				trunc = true;
				goto close;
			}
		}
	} else {
		generic = ev->attr_len > 0;
	}

	/* Pass 2: everything else as the generic "attrs" list. */
	if (generic) {
		uint64_t taken = 0;
		bool first = true;

		mark = w.len;
		PUT_KEY(&w, MCB_JSON_ATTRS);
		PUTS(&w, "[");
		if (w.full) {
			w.len = mark;
			trunc = true;
			goto close;
		}
		mcb_nla_iter_init(&it, ev->attrs, ev->attr_len, MCB_NLA_HOST_BE);
		while (mcb_nla_next(&it, &type, &flags, &pl, &plen) == 1) {
			size_t before = w.len;

			if (ev->is_mcbridge &&
			    (type == MCBRIDGE_ATTR_PAD ||
			     mcb_attr_named(type, flags, plen, &taken)))
				continue;	/* written in pass 1 */
			if (!first)
				PUTS(&w, ",");
			put_generic(&w, type, flags, pl, plen, 0);
			if (w.full) {
				w.len = before;
				trunc = true;
				break;
			}
			first = false;
		}
		w.cap = cap;	/* the reserve is for these closing bytes */
		w.full = false;
		if (first)
			w.len = mark;	/* none fitted: no empty list */
		else
			PUTS(&w, "]");
	}
close:
	w.cap = cap;
	w.full = false;
	if (trunc)
		PUTS(&w, ",\"" MCB_JSON_TRUNCATED "\":true");
	PUTS(&w, "}\n");
	*truncated = trunc;
	return w.full ? 0 : w.len;
}

size_t mcb_encode_json(const struct mcb_nl_event *ev, void *buf, size_t cap,
		       bool *truncated)
{
	size_t n = encode(ev, buf, cap, JSON_END_RESERVE, truncated);

	/* Did not fit: again, with room for "truncated" kept back, so that
	 * only events that really overflow are cut. */
	if (*truncated)
		n = encode(ev, buf, cap, JSON_CLOSE_RESERVE, truncated);
	return n;
}
