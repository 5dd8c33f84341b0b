/* SPDX-License-Identifier: MIT */
/*
 * Output: an event as one line of JSON (the wire.h keys, whichever format
 * it arrived in) or as one human-readable line, and unknown datagrams as a
 * bounded, escaped string.  Nothing from the network reaches the terminal
 * unescaped.
 */
#include <inttypes.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <linux/netlink.h>
#include <mcbridge/names.h>

#include "lib/jsonstr.h"
#include "mcbridge_client.h"
#include "mcb_attr.h"

/* The one JSON string writer (lib/jsonstr.h), a buffer at a time. */
void mcb_json_escape(FILE *out, const char *s, size_t len)
{
	char buf[512];
	size_t done, n;

	while (len) {
		done = mcb_json_escape_into(buf, sizeof(buf), s, len, &n);
		fwrite(buf, 1, n, out);
		s += done;
		len -= done;
	}
}

/* For a terminal: printable ASCII and valid UTF-8 (without C1 controls)
 * as they are, anything else as \xNN. */
static void human_escape(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			putc(c, out);
		} else if (c == '\\') {
			fputs("\\\\", out);
		} else if (c >= 0x80 && (n = mcb_utf8_len(p + i, len - i)) &&
			   !(c == 0xc2 && p[i + 1] < 0xa0)) {
			fwrite(p + i, 1, n, out);
			i += n;
			continue;
		} else if (c == '\n') {
			fputs("\\n", out);
		} else {
			fprintf(out, "\\x%02x", c);
		}
		i++;
	}
}

void mcb_print_raw(FILE *out, const void *buf, size_t len, size_t max)
{
	const unsigned char *p = buf;
	size_t n = len < max ? len : max;

	putc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c >= 0x20 && c < 0x7f)
			putc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
	putc('"', out);
	if (len > n)
		fputs("...", out);
}

static void json_str(FILE *out, const char *key, const char *s, size_t len)
{
	fprintf(out, ",\"%s\":\"", key);
	mcb_json_escape(out, s, len);
	putc('"', out);
}

static void json_u64(FILE *out, const char *key, uint64_t v)
{
	fprintf(out, ",\"%s\":%" PRIu64, key, v);
}

static void json_enum(FILE *out, const char *key, const char *name,
		      uint64_t v)
{
	if (name)
		fprintf(out, ",\"%s\":\"%s\"", key, name);
	else
		json_u64(out, key, v);
}

/*
 * An event attribute's field (lib/mcb_attr.h): true for a string, in *str
 * and *len, false for a number, in *v.
 */
static bool field_get(const struct mcb_event *ev,
		      const struct mcb_attr_desc *d, const char **str,
		      size_t *len, uint64_t *v)
{
	const char *f = (const char *)ev + d->field_off;
	uint32_t v32;

	if (d->type == MCB_AT_STRING) {
		memcpy(len, (const char *)ev + d->len_off, sizeof(*len));
		*str = f;
		return true;
	}
	if (d->field_size == sizeof(v32)) {
		memcpy(&v32, f, sizeof(v32));
		*v = v32;
	} else {
		memcpy(v, f, sizeof(*v));
	}
	return false;
}

/*
 * Copy validated JSON text without its insignificant whitespace.  The
 * decoder checks only the syntax, and takes any byte >= 0x20 inside a
 * string: the bytes of string contents are escaped again like any other
 * string, so invalid UTF-8 and control characters never pass through raw.
 */
static void json_compact(FILE *out, const char *s, size_t len)
{
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (esc) {
				esc = false;	/* escapes are ASCII, kept */
			} else if (c == '\\') {
				esc = true;
			} else if (c == '"') {
				in_str = false;
			} else {
				size_t run = i;

				while (run < len && s[run] != '"' &&
				       s[run] != '\\')
					run++;
				mcb_json_escape(out, s + i, run - i);
				i = run - 1;
				continue;
			}
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in_str = true;
		}
		putc(c, out);
	}
}

static void json_nla_array(FILE *out, const unsigned char *p, size_t len,
			   bool be, int depth);

static void json_hex(FILE *out, const unsigned char *p, size_t len)
{
	fputs(",\"hex\":\"", out);
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
	putc('"', out);
}

/* One binary attribute as {"type":N,"len":N,<value>}. */
static void json_nla(FILE *out, uint16_t type, uint16_t flags,
		     const unsigned char *p, uint16_t len, bool be, int depth)
{
	enum mcb_attr_kind kind = mcb_nla_classify(flags, p, len, be, depth);
	bool num_be = be || (flags & NLA_F_NET_BYTEORDER);

	fprintf(out, "{\"type\":%u,\"len\":%u", type, len);
	switch (kind) {
	case MCB_ATTR_U8:
	case MCB_ATTR_U16:
	case MCB_ATTR_U32:
	case MCB_ATTR_U64:
		json_u64(out, mcb_attr_kind_key(kind), mcb_nla_uint(p, len, num_be));
		break;
	case MCB_ATTR_STR:
		json_str(out, "str", (const char *)p, len - 1u);
		break;
	case MCB_ATTR_NESTED:
		fputs(",\"nested\":", out);
		json_nla_array(out, p, len, be, depth + 1);
		break;
	case MCB_ATTR_HEX:
		json_hex(out, p, len);
		break;
	}
	putc('}', out);
}

static void json_nla_array(FILE *out, const unsigned char *p, size_t len,
			   bool be, int depth)
{
	struct mcb_nla_iter it;
	const unsigned char *pl;
	uint16_t type, flags, plen;
	bool first = true;

	/* Callers only pass payloads that walked cleanly (classify). */
	mcb_nla_iter_init(&it, p, len, be);
	putc('[', out);
	while (mcb_nla_next(&it, &type, &flags, &pl, &plen) == 1) {
		if (!first)
			putc(',', out);
		first = false;
		json_nla(out, type, flags, pl, plen, be, depth);
	}
	putc(']', out);
}

static void json_attr(FILE *out, const struct mcb_event *ev,
		      const struct mcb_attr *a)
{
	bool be = ev->wire_flags & MCB_WIRE_F_ATTR_BE;

	fprintf(out, "{\"type\":%u,\"len\":%u", a->type, a->len);
	switch (a->kind) {
	case MCB_ATTR_U8:
	case MCB_ATTR_U16:
	case MCB_ATTR_U32:
	case MCB_ATTR_U64:
		json_u64(out, mcb_attr_kind_key(a->kind), a->num);
		break;
	case MCB_ATTR_STR:
		/* Binary payloads keep their NUL; the JSON text has none. */
		json_str(out, "str", a->data,
			 ev->format == MCB_FMT_BINARY && a->data_len ?
			 a->data_len - 1u : a->data_len);
		break;
	case MCB_ATTR_HEX:
		if (ev->format == MCB_FMT_BINARY)
			json_hex(out, (const unsigned char *)a->data,
				 a->data_len);
		else
			fprintf(out, ",\"hex\":\"%.*s\"", (int)a->data_len,
				a->data);
		break;
	case MCB_ATTR_NESTED:
		fputs(",\"nested\":", out);
		if (ev->format == MCB_FMT_BINARY)
			json_nla_array(out, (const unsigned char *)a->data,
				       a->data_len, be, 1);
		else
			json_compact(out, a->data, a->data_len);
		break;
	}
	putc('}', out);
}

static const char *kind_name(enum mcb_wire_kind kind)
{
	switch (kind) {
	case MCB_KIND_EVENT: return MCB_JSON_KIND_EVENT;
	case MCB_KIND_OVERRUN: return MCB_JSON_KIND_OVERRUN;
	case MCB_KIND_LOST: return MCB_JSON_KIND_LOST;
	}
	return "?";
}

/* The command's name: as sent (json), from names.h (mcbridge), or the
 * number as a string like the encoder writes unknown ones. */
static const char *cmd_name(const struct mcb_event *ev, char *buf, size_t n)
{
	const char *name = NULL;

	if (ev->has & MCB_HAS_CMD_NAME)
		return ev->cmd_name;
	if (mcb_event_is_mcbridge(ev))
		name = mcb_names_get(mcb_cmd_names, ev->cmd);
	if (name)
		return name;
	snprintf(buf, n, "%" PRIu32, ev->cmd);
	return buf;
}

static void json_field(FILE *out, const struct mcb_event *ev,
		       const struct mcb_attr_desc *d)
{
	const char *str;
	uint64_t v;
	size_t len;

	if (field_get(ev, d, &str, &len, &v))
		json_str(out, d->json_key, str, len);
	else if (d->names)
		json_enum(out, d->json_key, mcb_names_get(d->names, v), v);
	else
		json_u64(out, d->json_key, v);
}

void mcb_render_json(FILE *out, const struct mcb_event *ev,
		     const struct mcb_render_extra *extra)
{
	bool mcbridge = ev->kind == MCB_KIND_EVENT && mcb_event_is_mcbridge(ev);
	uint32_t has = ev->has;
	char num[16];

	fprintf(out, "{\"%s\":\"%s\"", MCB_JSON_KIND, kind_name(ev->kind));
	if (extra && extra->host)
		json_str(out, "host", extra->host, strlen(extra->host));
	json_str(out, MCB_JSON_FAMILY, ev->family, strlen(ev->family));
	json_str(out, MCB_JSON_GROUP, ev->group, strlen(ev->group));
	if (ev->kind == MCB_KIND_EVENT) {
		const char *c = cmd_name(ev, num, sizeof(num));

		json_str(out, MCB_JSON_CMD, c, strlen(c));
		if (has & MCB_HAS_CMD)
			json_u64(out, MCB_JSON_CMD_ID, ev->cmd);
	}
	json_u64(out, MCB_JSON_BRIDGE_SEQ, ev->bridge_seq);
	json_u64(out, MCB_JSON_BRIDGE_TIME, ev->bridge_time_ns);
	if (ev->bridge_run)
		json_u64(out, MCB_JSON_BRIDGE_RUN, ev->bridge_run);
	if (!mcbridge && (has & MCB_HAS_KERNEL_SEQ))
		json_u64(out, MCB_JSON_KERNEL_SEQ, ev->kernel_seq);
	if (ev->kind != MCB_KIND_EVENT)
		json_u64(out, MCB_JSON_COUNT, ev->count);
	for (unsigned id = 0; id <= mcb_mcbridge_attrs.max; id++) {
		const struct mcb_attr_desc *d = &mcb_mcbridge_attrs.rows[id];

		if (!d->in_event || !(has & d->has))
			continue;
		/* seq and timestamp_ns are the header's fields, which any
		 * family's events have: by these keys for mcbridge only. */
		if (!mcbridge &&
		    (d->has & (MCB_HAS_KERNEL_SEQ | MCB_HAS_KERNEL_TIME)))
			continue;
		json_field(out, ev, d);
	}
	if (has & MCB_HAS_ATTRS) {
		fprintf(out, ",\"%s\":[", MCB_JSON_ATTRS);
		for (unsigned i = 0; i < ev->nattrs; i++) {
			if (i)
				putc(',', out);
			json_attr(out, ev, &ev->attrs[i]);
		}
		putc(']', out);
		/* Not a wire key: says the list above was cut here. */
		if (ev->attrs_total > ev->nattrs)
			json_u64(out, "attrs_total", ev->attrs_total);
	}
	if (ev->truncated)
		fprintf(out, ",\"%s\":true", MCB_JSON_TRUNCATED);
	if (extra && extra->has_latency)
		fprintf(out, ",\"latency_ns\":%" PRId64, extra->latency_ns);
	fputs("}\n", out);
}

static void human_str(FILE *out, const char *key, const char *s, size_t len)
{
	fprintf(out, " %s=\"", key);
	human_escape(out, s, len);
	putc('"', out);
}

/* An event attribute: enums as their bare name, the rest as key=value. */
static void human_field(FILE *out, const struct mcb_event *ev,
			const struct mcb_attr_desc *d)
{
	const char *str;
	uint64_t v;
	size_t len;

	if (field_get(ev, d, &str, &len, &v))
		human_str(out, d->human_key, str, len);
	else if (d->names && (str = mcb_names_get(d->names, v)))
		fprintf(out, " %s", str);
	else if (d->names)
		fprintf(out, " %" PRIu64, v);
	else if (d->hex)
		fprintf(out, " %s=0x%" PRIx64, d->human_key, v);
	else
		fprintf(out, " %s=%" PRIu64, d->human_key, v);
}

static void human_attr(FILE *out, const struct mcb_event *ev,
		       const struct mcb_attr *a)
{
	fprintf(out, " %u:", a->type);
	switch (a->kind) {
	case MCB_ATTR_U8:
	case MCB_ATTR_U16:
	case MCB_ATTR_U32:
	case MCB_ATTR_U64:
		fprintf(out, "%" PRIu64, a->num);
		break;
	case MCB_ATTR_STR:
		putc('"', out);
		human_escape(out, a->data,
			     ev->format == MCB_FMT_BINARY && a->data_len ?
			     a->data_len - 1u : a->data_len);
		putc('"', out);
		break;
	case MCB_ATTR_NESTED:
		fprintf(out, "{%u bytes}", a->len);
		break;
	default:
		fprintf(out, "<%u bytes>", a->len);
		break;
	}
}

static void human_time(FILE *out, int64_t ns)
{
	int64_t a = ns < 0 ? -ns : ns;

	if (a < 10000)
		fprintf(out, "%" PRId64 "ns", ns);
	else if (a < 10000000)
		fprintf(out, "%.1fus", (double)ns / 1e3);
	else
		fprintf(out, "%.1fms", (double)ns / 1e6);
}

/* Does the event have the attribute shown in place of the command? */
static bool has_headline(const struct mcb_event *ev)
{
	for (const struct mcb_attr_desc *const *o = mcb_human_order; *o; o++)
		if ((*o)->headline && (ev->has & (*o)->has))
			return true;
	return false;
}

/* The generic attributes, and how many did not fit the event. */
static void human_generic(FILE *out, const struct mcb_event *ev)
{
	for (unsigned i = 0; i < ev->nattrs; i++)
		human_attr(out, ev, &ev->attrs[i]);
	if (ev->attrs_total > ev->nattrs)
		fprintf(out, " (+%u attrs)", ev->attrs_total - ev->nattrs);
}

void mcb_render_human(FILE *out, const struct mcb_event *ev,
		      const struct mcb_render_extra *extra)
{
	bool generic_done = false;
	uint32_t has = ev->has;
	char num[16];

	if (extra && extra->host) {
		human_escape(out, extra->host, strlen(extra->host));
		fputs(": ", out);
	}
	switch (ev->kind) {
	case MCB_KIND_EVENT:
		fputs("event ", out);
		break;
	case MCB_KIND_OVERRUN:
		fputs("OVERRUN ", out);
		break;
	case MCB_KIND_LOST:
		fputs("LOST ", out);
		break;
	}
	human_escape(out, ev->family, strlen(ev->family));
	putc('/', out);
	human_escape(out, ev->group, strlen(ev->group));
	fprintf(out, " #%" PRIu64, ev->bridge_seq);
	if (ev->kind != MCB_KIND_EVENT) {
		fprintf(out, " count=%" PRIu64, ev->count);
		if (has & MCB_HAS_KERNEL_SEQ)
			fprintf(out, " kernel_seq=%" PRIu64, ev->kernel_seq);
		putc('\n', out);
		return;
	}
	if (!has_headline(ev)) {
		const char *c = cmd_name(ev, num, sizeof(num));

		fputs(" cmd=", out);
		human_escape(out, c, strlen(c));
	}
	for (const struct mcb_attr_desc *const *o = mcb_human_order; *o; o++) {
		const struct mcb_attr_desc *d = *o;

		if (!generic_done && d->human_rank > MCB_HUMAN_RANK_GENERIC) {
			human_generic(out, ev);
			generic_done = true;
		}
		if (d->human_key && (has & d->has))
			human_field(out, ev, d);
	}
	if (!generic_done)
		human_generic(out, ev);
	if (ev->truncated)
		fputs(" TRUNCATED", out);
	if (extra && extra->has_latency) {
		fputs(" latency=", out);
		human_time(out, extra->latency_ns);
	}
	putc('\n', out);
}
