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

static void put(struct jw *w, const char *s, size_t n)
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

static void put_u64(struct jw *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[--i] = digit_pairs[d + 1];
		tmp[--i] = digit_pairs[d];
	}
	if (v >= 10) {
		tmp[--i] = digit_pairs[v * 2 + 1];
		tmp[--i] = digit_pairs[v * 2];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	put(w, tmp + i, sizeof(tmp) - i);
}

/* A JSON string, by the one writer (lib/jsonstr.h), in place. */
static void put_str(struct jw *w, const void *data, size_t n)
{
	size_t len;

	PUTS(w, "\"");
	if (!w->full) {
		if (mcb_json_escape_into(w->buf + w->len, w->cap - w->len,
					 data, n, &len) < n)
			w->full = true;
		else
			w->len += len;
	}
	PUTS(w, "\"");
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
		/* Constant sizes: the byte loop unrolls. */
		v = d->type == MCB_AT_U32 ? mcb_nla_uint(p, 4, MCB_NLA_HOST_BE) :
			mcb_nla_uint(p, 8, MCB_NLA_HOST_BE);
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
	const char *cmd;

	*truncated = false;
	if (cap <= reserve)
		return 0;
	w.cap = cap - reserve;

	PUTS(&w, "{\"" MCB_JSON_KIND "\":");
	put_str(&w, kind_name(ev->kind), strlen(kind_name(ev->kind)));
	PUT_KEY(&w, MCB_JSON_FAMILY);
	put_str(&w, ev->family, strlen(ev->family));
	PUT_KEY(&w, MCB_JSON_GROUP);
	put_str(&w, ev->group, strlen(ev->group));
	PUT_KEY(&w, MCB_JSON_BRIDGE_SEQ);
	put_u64(&w, ev->bridge_seq);
	PUT_KEY(&w, MCB_JSON_BRIDGE_TIME);
	put_u64(&w, ev->bridge_time_ns);
	if (ev->bridge_run) {
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

	PUT_KEY(&w, MCB_JSON_CMD);
	cmd = ev->is_mcbridge ? mcb_names_get(mcb_cmd_names, ev->cmd) : NULL;
	if (cmd) {
		put_str(&w, cmd, strlen(cmd));
	} else {
		PUTS(&w, "\"");
		put_u64(&w, ev->cmd);
		PUTS(&w, "\"");
	}
	PUT_KEY(&w, MCB_JSON_CMD_ID);
	put_u64(&w, ev->cmd);
	if (w.full)
		return 0;	/* not even the fixed fields fit */

	/* Pass 1: the mcbridge family's attributes as named keys. */
	if (ev->is_mcbridge) {
		const struct mcb_attr_desc *d;
		uint64_t taken = 0;

		mcb_nla_iter_init(&it, ev->attrs, ev->attr_len, MCB_NLA_HOST_BE);
		while (mcb_nla_next(&it, &type, &flags, &pl, &plen) == 1) {
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
