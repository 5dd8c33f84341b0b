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
#include <mcbridge/names.h>

/* Nested attributes deeper than this are shown as hex (bounds the stack). */
#define MCB_JSON_NEST_MAX	8

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

static void put_u64(struct jw *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, tmp + i, sizeof(tmp) - i);
}

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* Second byte limits exclude overlongs, surrogates, > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static const char hexdig[] = "0123456789abcdef";

/* A JSON string: RFC 8259 escapes; bytes that are not UTF-8 -> \u00XX. */
static void put_str(struct jw *w, const void *data, size_t n)
{
	const unsigned char *s = data;
	size_t i = 0, run = 0;

	PUTS(w, "\"");
	while (i < n) {
		unsigned char c = s[i];
		size_t u;
		char esc[6];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (u = utf8_len(s + i, n - i)) != 0) {
			i += u;
			continue;
		}
		put(w, (const char *)s + run, i - run);
		switch (c) {
		case '"': PUTS(w, "\\\""); break;
		case '\\': PUTS(w, "\\\\"); break;
		case '\b': PUTS(w, "\\b"); break;
		case '\f': PUTS(w, "\\f"); break;
		case '\n': PUTS(w, "\\n"); break;
		case '\r': PUTS(w, "\\r"); break;
		case '\t': PUTS(w, "\\t"); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hexdig[c >> 4];
			esc[5] = hexdig[c & 15];
			put(w, esc, sizeof(esc));
		}
		run = ++i;
	}
	put(w, (const char *)s + run, i - run);
	PUTS(w, "\"");
}

static void put_hex(struct jw *w, const unsigned char *p, size_t n)
{
	char pair[2];

	PUTS(w, "\"");
	for (size_t i = 0; i < n; i++) {
		pair[0] = hexdig[p[i] >> 4];
		pair[1] = hexdig[p[i] & 15];
		put(w, pair, 2);
	}
	PUTS(w, "\"");
}

/* "key": */
static void put_key(struct jw *w, const char *key)
{
	PUTS(w, ",\"");
	put(w, key, strlen(key));
	PUTS(w, "\":");
}

static uint64_t get_uint(const unsigned char *p, size_t n, bool big_endian)
{
	uint64_t v = 0;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	switch (n) {
	case 1: memcpy(&u8, p, 1); v = u8; break;
	case 2:
		memcpy(&u16, p, 2);
		v = big_endian ? (uint16_t)be16toh(u16) : u16;
		break;
	case 4:
		memcpy(&u32, p, 4);
		v = big_endian ? (uint32_t)be32toh(u32) : u32;
		break;
	case 8:
		memcpy(&v, p, 8);
		v = big_endian ? (uint64_t)be64toh(v) : v;
		break;
	}
	return v;
}

/*
 * Walks attributes with bounds checks; *pos advances past the next one.
 * Returns 1 with *nla and payload set, 0 at the clean end, -1 if malformed.
 */
static int next_attr(const unsigned char *base, size_t len, size_t *pos,
		     struct nlattr *nla, const unsigned char **payload)
{
	size_t left = len - *pos, step;

	if (left == 0)
		return 0;
	if (left < (size_t)NLA_HDRLEN)
		return -1;
	memcpy(nla, base + *pos, sizeof(*nla));
	if (nla->nla_len < NLA_HDRLEN || (size_t)nla->nla_len > left)
		return -1;
	*payload = base + *pos + NLA_HDRLEN;
	/* The last attribute's padding may be missing. */
	step = (size_t)NLA_ALIGN(nla->nla_len);
	*pos += step < left ? step : left;
	return 1;
}

/* Does the payload parse exactly as a sequence of attributes? */
static bool is_nested(const unsigned char *p, size_t n)
{
	size_t pos = 0;
	struct nlattr nla;
	const unsigned char *pl;
	int r, count = 0;

	while ((r = next_attr(p, n, &pos, &nla, &pl)) == 1)
		count++;
	return r == 0 && count > 0;
}

/* NUL-terminated, printable UTF-8 text, nothing after the NUL. */
static bool is_str(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n < 2 || p[n - 1] != '\0')
		return false;
	while (i < n - 1) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
		} else {
			size_t u = p[i] >= 0x80 ? utf8_len(p + i, n - 1 - i) : 0;

			if (!u)
				return false;
			i += u;
		}
	}
	return true;
}

static void put_generic_list(struct jw *w, const unsigned char *p, size_t n,
			     int depth);

/*
 * One generic attribute, {"type":N,"len":N,<kind>:value}.  The kind is
 * chosen, in this order:
 *   NLA_F_NESTED set and the payload parses      -> "nested"
 *   length 1 or 2                                -> "u8" / "u16"
 *   printable text ending in its only NUL        -> "str"
 *   length 4 or 8                                -> "u32" / "u64"
 *   parses exactly as attributes (nlctrl's nests
 *   do not set NLA_F_NESTED)                     -> "nested"
 *   anything else                                -> "hex"
 * Numbers honour NLA_F_NET_BYTEORDER.
 */
static void put_generic(struct jw *w, const struct nlattr *nla,
			const unsigned char *p, int depth)
{
	size_t n = nla->nla_len - NLA_HDRLEN;
	bool be = nla->nla_type & NLA_F_NET_BYTEORDER;
	bool can_nest = depth < MCB_JSON_NEST_MAX && is_nested(p, n);

	PUTS(w, "{\"type\":");
	put_u64(w, nla->nla_type & NLA_TYPE_MASK);
	PUTS(w, ",\"len\":");
	put_u64(w, n);
	if ((nla->nla_type & NLA_F_NESTED) && can_nest) {
		PUTS(w, ",\"nested\":");
		put_generic_list(w, p, n, depth + 1);
	} else if (n == 1 || n == 2) {
		put(w, n == 1 ? ",\"u8\":" : ",\"u16\":", n == 1 ? 6 : 7);
		put_u64(w, get_uint(p, n, be));
	} else if (is_str(p, n)) {
		PUTS(w, ",\"str\":");
		put_str(w, p, n - 1);
	} else if (n == 4 || n == 8) {
		PUTS(w, n == 4 ? ",\"u32\":" : ",\"u64\":");
		put_u64(w, get_uint(p, n, be));
	} else if (can_nest) {
		PUTS(w, ",\"nested\":");
		put_generic_list(w, p, n, depth + 1);
	} else {
		PUTS(w, ",\"hex\":");
		put_hex(w, p, n);
	}
	PUTS(w, "}");
}

static void put_generic_list(struct jw *w, const unsigned char *p, size_t n,
			     int depth)
{
	size_t pos = 0;
	struct nlattr nla;
	const unsigned char *pl;
	bool first = true;

	PUTS(w, "[");
	while (next_attr(p, n, &pos, &nla, &pl) == 1) {
		if (!first)
			PUTS(w, ",");
		first = false;
		put_generic(w, &nla, pl, depth);
	}
	PUTS(w, "]");
}

/* How the mcbridge family's attributes appear as named keys. */
enum mcb_akind { AK_NONE, AK_U32, AK_U64, AK_STR, AK_ENUM };

struct mcb_akey {
	const char *key;
	enum mcb_akind kind;
	const char *const *names;
	size_t n_names;
};

#define ENUM_KEY(k, tab) { k, AK_ENUM, tab, sizeof(tab) / sizeof(tab[0]) }

static const struct mcb_akey mcb_akeys[__MCBRIDGE_ATTR_MAX] = {
	[MCBRIDGE_ATTR_SEQ] = { MCB_JSON_SEQ, AK_U64, NULL, 0 },
	[MCBRIDGE_ATTR_TIMESTAMP_NS] = { MCB_JSON_TIMESTAMP, AK_U64, NULL, 0 },
	[MCBRIDGE_ATTR_TYPE] = ENUM_KEY(MCB_JSON_TYPE, mcb_event_type_names),
	[MCBRIDGE_ATTR_CPU] = { MCB_JSON_CPU, AK_U32, NULL, 0 },
	[MCBRIDGE_ATTR_IFINDEX] = { MCB_JSON_IFINDEX, AK_U32, NULL, 0 },
	[MCBRIDGE_ATTR_IFNAME] = { MCB_JSON_IFNAME, AK_STR, NULL, 0 },
	[MCBRIDGE_ATTR_NETDEV_EVENT] = ENUM_KEY(MCB_JSON_NETDEV_EVENT,
						mcb_netdev_event_names),
	[MCBRIDGE_ATTR_IFFLAGS] = { MCB_JSON_IFFLAGS, AK_U32, NULL, 0 },
	[MCBRIDGE_ATTR_MTU] = { MCB_JSON_MTU, AK_U32, NULL, 0 },
	[MCBRIDGE_ATTR_MODULE_NAME] = { MCB_JSON_MODULE_NAME, AK_STR, NULL, 0 },
	[MCBRIDGE_ATTR_MODULE_STATE] = ENUM_KEY(MCB_JSON_MODULE_STATE,
						mcb_module_state_names),
	[MCBRIDGE_ATTR_TEXT] = { MCB_JSON_TEXT, AK_STR, NULL, 0 },
};

/* The key for a mcbridge attribute, or NULL when it has none or the wrong
 * size: such attributes go to the generic "attrs" list, not lost. */
static const struct mcb_akey *named_key(const struct nlattr *nla)
{
	unsigned type = nla->nla_type & NLA_TYPE_MASK;
	size_t n = nla->nla_len - NLA_HDRLEN;
	const struct mcb_akey *k;

	if (type >= __MCBRIDGE_ATTR_MAX || nla->nla_type & NLA_F_NESTED)
		return NULL;
	k = &mcb_akeys[type];
	switch (k->kind) {
	case AK_U32:
	case AK_ENUM:
		return n == 4 ? k : NULL;
	case AK_U64:
		return n == 8 ? k : NULL;
	case AK_STR:
		return k;
	case AK_NONE:
		break;
	}
	return NULL;
}

static void put_named(struct jw *w, const struct mcb_akey *k,
		      const struct nlattr *nla, const unsigned char *p)
{
	size_t n = nla->nla_len - NLA_HDRLEN;
	const char *name;
	uint64_t v;

	put_key(w, k->key);
	switch (k->kind) {
	case AK_U32:
		put_u64(w, get_uint(p, 4, false));
		break;
	case AK_ENUM:
		v = get_uint(p, 4, false);
		name = mcb_name_in(k->names, k->n_names, v);
		if (name)
			put_str(w, name, strlen(name));
		else
			put_u64(w, v);	/* no name (names.h): a number */
		break;
	case AK_U64:
		put_u64(w, get_uint(p, 8, false));
		break;
	case AK_STR:
		/* The terminating NUL is not text; a NUL inside is kept. */
		if (n && p[n - 1] == '\0')
			n--;
		put_str(w, p, n);
		break;
	case AK_NONE:
		break;
	}
}

/*
 * Is this mcbridge attribute written by name?  The first valid attribute
 * of each keyed type is; repeats and the rest are listed in "attrs".
 * *named tracks the types already taken.
 */
static bool takes_name(const struct nlattr *nla, uint32_t *named)
{
	unsigned type = nla->nla_type & NLA_TYPE_MASK;

	if (!named_key(nla) || (*named & (1u << type)))
		return false;
	*named |= 1u << type;
	return true;
}

_Static_assert(__MCBRIDGE_ATTR_MAX <= 32, "named attribute mask is 32 bits");

/* Room kept for the closing "],"truncated":true}\n". */
#define JSON_CLOSE_RESERVE	(sizeof("],\"" MCB_JSON_TRUNCATED "\":true}\n") - 1)

static const char *kind_name(enum mcb_wire_kind k)
{
	switch (k) {
	case MCB_KIND_EVENT: return MCB_JSON_KIND_EVENT;
	case MCB_KIND_OVERRUN: return MCB_JSON_KIND_OVERRUN;
	case MCB_KIND_LOST: return MCB_JSON_KIND_LOST;
	}
	return "unknown";
}

/* Room for the closing "]}\n" of a complete object. */
#define JSON_END_RESERVE	3

/* One pass, keeping reserve bytes of cap for the closing. */
static size_t encode(const struct mcb_event *ev, void *buf, size_t cap,
		     size_t reserve, bool *truncated)
{
	struct jw w = { buf, 0, 0, false };
	const unsigned char *a = ev->attrs;
	size_t pos, mark;
	struct nlattr nla;
	const unsigned char *pl;
	bool trunc = false, generic = false;
	const char *cmd;

	*truncated = false;
	if (cap <= reserve)
		return 0;
	w.cap = cap - reserve;

	PUTS(&w, "{\"" MCB_JSON_KIND "\":");
	put_str(&w, kind_name(ev->kind), strlen(kind_name(ev->kind)));
	put_key(&w, MCB_JSON_FAMILY);
	put_str(&w, ev->family, strlen(ev->family));
	put_key(&w, MCB_JSON_GROUP);
	put_str(&w, ev->group, strlen(ev->group));
	put_key(&w, MCB_JSON_BRIDGE_SEQ);
	put_u64(&w, ev->bridge_seq);
	put_key(&w, MCB_JSON_BRIDGE_TIME);
	put_u64(&w, ev->bridge_time_ns);

	if (ev->kind != MCB_KIND_EVENT) {
		put_key(&w, MCB_JSON_COUNT);
		put_u64(&w, ev->count);
		if (ev->has_kernel_seq) {
			put_key(&w, MCB_JSON_KERNEL_SEQ);
			put_u64(&w, ev->kernel_seq);
		}
		goto close;
	}

	put_key(&w, MCB_JSON_CMD);
	cmd = ev->is_mcbridge ? mcb_name(mcb_cmd_names, ev->cmd) : NULL;
	if (cmd) {
		put_str(&w, cmd, strlen(cmd));
	} else {
		PUTS(&w, "\"");
		put_u64(&w, ev->cmd);
		PUTS(&w, "\"");
	}
	put_key(&w, MCB_JSON_CMD_ID);
	put_u64(&w, ev->cmd);
	if (w.full)
		return 0;	/* not even the fixed fields fit */

	/* Pass 1: the mcbridge family's attributes as named keys. */
	if (ev->is_mcbridge) {
		uint32_t named = 0;

		pos = 0;
		while (next_attr(a, ev->attr_len, &pos, &nla, &pl) == 1) {
			if ((nla.nla_type & NLA_TYPE_MASK) == MCBRIDGE_ATTR_PAD)
				continue;	/* alignment filler, no data */
			if (!takes_name(&nla, &named)) {
				generic = true;
				continue;
			}
			mark = w.len;
			put_named(&w, named_key(&nla), &nla, pl);
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
		uint32_t named = 0;
		bool first = true;

		mark = w.len;
		put_key(&w, MCB_JSON_ATTRS);
		PUTS(&w, "[");
		if (w.full) {
			w.len = mark;
			trunc = true;
			goto close;
		}
		pos = 0;
		while (next_attr(a, ev->attr_len, &pos, &nla, &pl) == 1) {
			size_t before = w.len;

			if (ev->is_mcbridge &&
			    ((nla.nla_type & NLA_TYPE_MASK) == MCBRIDGE_ATTR_PAD ||
			     takes_name(&nla, &named)))
				continue;	/* written in pass 1 */
			if (!first)
				PUTS(&w, ",");
			put_generic(&w, &nla, pl, 0);
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

size_t mcb_encode_json(const struct mcb_event *ev, void *buf, size_t cap,
		       bool *truncated)
{
	size_t n = encode(ev, buf, cap, JSON_END_RESERVE, truncated);

	/* Did not fit: again, with room for "truncated" kept back, so that
	 * only events that really overflow are cut. */
	if (*truncated)
		n = encode(ev, buf, cap, JSON_CLOSE_RESERVE, truncated);
	return n;
}
