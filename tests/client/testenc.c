/* SPDX-License-Identifier: MIT */
/* Test encoder: see testenc.h. */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <linux/netlink.h>
#include <mcbridge/names.h>

#include "mcb_attr.h"
#include "testenc.h"

/* An mcbridge attribute's JSON key, from the spec's table. */
#define KEY(attr)	(mcb_mcbridge_attrs.rows[MCBRIDGE_ATTR_##attr].json_key)

void tenc_init(struct tenc_event *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = MCB_KIND_EVENT;
	e->family = MCBRIDGE_GENL_NAME;
	e->group = MCBRIDGE_MCGRP_EVENTS;
	e->cmd = MCBRIDGE_CMD_EVENT;
	e->genl_version = MCBRIDGE_GENL_VERSION;
	e->type = e->cpu = e->ifindex = e->netdev_event = -1;
	e->ifflags = e->mtu = e->module_state = -1;
	e->version = -1;
	e->hdr_len = -1;
}

bool tenc_nla(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
	      const void *data, uint16_t len, bool be)
{
	struct nlattr nla;
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (*off + total > cap)
		return false;
	nla.nla_len = (uint16_t)(NLA_HDRLEN + len);
	nla.nla_type = type;
	if (be) {
		nla.nla_len = htobe16(nla.nla_len);
		nla.nla_type = htobe16(nla.nla_type);
	} else {
		nla.nla_len = htole16(nla.nla_len);
		nla.nla_type = htole16(nla.nla_type);
	}
	memset(buf + *off, 0, total);
	memcpy(buf + *off, &nla, sizeof(nla));
	if (len)
		memcpy(buf + *off + NLA_HDRLEN, data, len);
	*off += total;
	return true;
}

bool tenc_nla_u32(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
		  uint32_t v, bool be)
{
	v = be ? htobe32(v) : htole32(v);
	return tenc_nla(buf, cap, off, type, &v, sizeof(v), be);
}

bool tenc_nla_u64(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
		  uint64_t v, bool be)
{
	v = be ? htobe64(v) : htole64(v);
	return tenc_nla(buf, cap, off, type, &v, sizeof(v), be);
}

bool tenc_nla_str(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
		  const char *s, bool be)
{
	return tenc_nla(buf, cap, off, type, s, (uint16_t)(strlen(s) + 1), be);
}

static bool is_mcbridge(const struct tenc_event *e)
{
	return strcmp(e->family, MCBRIDGE_GENL_NAME) == 0;
}

size_t tenc_binary(const struct tenc_event *e, void *out, size_t cap)
{
	unsigned char *buf = out;
	struct mcb_wire_hdr h;
	size_t hl = e->hdr_len >= 0 ? (size_t)e->hdr_len : MCB_WIRE_HDR_LEN;
	size_t off, attr_len;
	uint16_t flags = 0;
	bool be = e->attr_be, ok = true;

	if (cap < sizeof(h) || cap < hl)
		return 0;
	memset(buf, 0, hl > sizeof(h) ? hl : sizeof(h));
	off = hl;
	if (e->kind == MCB_KIND_EVENT && is_mcbridge(e)) {
		/* nla_put_u64_64bit adds a PAD before each u64; so do we,
		 * so that the decoder skips it. */
		if (e->has_kseq) {
			ok = ok && tenc_nla(buf, cap, &off, MCBRIDGE_ATTR_PAD,
					    NULL, 0, be);
			ok = ok && tenc_nla_u64(buf, cap, &off, MCBRIDGE_ATTR_SEQ,
						e->kernel_seq, be);
		}
		if (e->has_ktime)
			ok = ok && tenc_nla_u64(buf, cap, &off,
						MCBRIDGE_ATTR_TIMESTAMP_NS,
						e->kernel_time_ns, be);
#define U32(field, attr) \
		if (e->field >= 0) \
			ok = ok && tenc_nla_u32(buf, cap, &off, attr, \
						(uint32_t)e->field, be)
		U32(type, MCBRIDGE_ATTR_TYPE);
		U32(cpu, MCBRIDGE_ATTR_CPU);
		U32(ifindex, MCBRIDGE_ATTR_IFINDEX);
		U32(netdev_event, MCBRIDGE_ATTR_NETDEV_EVENT);
		U32(ifflags, MCBRIDGE_ATTR_IFFLAGS);
		U32(mtu, MCBRIDGE_ATTR_MTU);
		U32(module_state, MCBRIDGE_ATTR_MODULE_STATE);
#undef U32
		if (e->ifname)
			ok = ok && tenc_nla_str(buf, cap, &off,
						MCBRIDGE_ATTR_IFNAME, e->ifname, be);
		if (e->module)
			ok = ok && tenc_nla_str(buf, cap, &off,
						MCBRIDGE_ATTR_MODULE_NAME,
						e->module, be);
		if (e->text)
			ok = ok && tenc_nla_str(buf, cap, &off,
						MCBRIDGE_ATTR_TEXT, e->text, be);
	}
	if (e->extra_len) {
		if (off + e->extra_len > cap)
			return 0;
		memcpy(buf + off, e->extra_attrs, e->extra_len);
		off += e->extra_len;
	}
	if (!ok)
		return 0;
	attr_len = off - hl;

	if (e->truncated)
		flags |= MCB_WIRE_F_TRUNCATED;
	if (e->has_kseq)
		flags |= MCB_WIRE_F_KERNEL_SEQ;
	if (e->has_ktime)
		flags |= MCB_WIRE_F_KERNEL_TIME;
	if (be)
		flags |= MCB_WIRE_F_ATTR_BE;
	if (e->bridge_run)
		flags |= MCB_WIRE_F_RUN;
	memset(&h, 0, sizeof(h));
	h.magic = htobe32(e->magic ? e->magic : MCB_WIRE_MAGIC);
	h.version = (uint8_t)(e->version >= 0 ? e->version : MCB_WIRE_VERSION);
	h.kind = e->kind;
	h.hdr_len = htobe16((uint16_t)hl);
	h.flags = htobe16(flags);
	h.cmd = e->cmd;
	h.genl_version = e->genl_version;
	h.attr_len = htobe32((uint32_t)((int64_t)attr_len + e->attr_len_delta));
	h.orig_len = htobe32((uint32_t)attr_len);
	h.bridge_seq = htobe64(e->bridge_seq);
	h.bridge_time_ns = htobe64(e->bridge_time_ns);
	h.run = htobe32(e->bridge_run);
	h.kernel_seq = htobe64(e->kernel_seq);
	h.kernel_time_ns = htobe64(e->kernel_time_ns);
	h.count = htobe64(e->count);
	/* NUL-padded; a 16-byte name fills the field without a NUL, which
	 * the decoder must survive. */
	memcpy(h.family, e->family, strnlen(e->family, sizeof(h.family)));
	memcpy(h.group, e->group, strnlen(e->group, sizeof(h.group)));
	/* A short hdr_len test copies only what it claims to have. */
	memcpy(buf, &h, hl < sizeof(h) ? hl : sizeof(h));
	return off;
}

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

/* ,"key":"escaped" - RFC 8259 escapes, other bytes as they are. */
static void put_str(struct out *o, const char *key, const char *s)
{
	put(o, ",\"%s\":\"", key);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void put_enum(struct out *o, const char *key, const char *name,
		     int64_t v)
{
	if (name)
		put(o, ",\"%s\":\"%s\"", key, name);
	else
		put(o, ",\"%s\":%lld", key, (long long)v);
}

size_t tenc_json(const struct tenc_event *e, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	const char *kind = e->kind == MCB_KIND_EVENT ? MCB_JSON_KIND_EVENT :
		e->kind == MCB_KIND_OVERRUN ? MCB_JSON_KIND_OVERRUN :
		e->kind == MCB_KIND_LOST ? MCB_JSON_KIND_LOST :
		e->kind == MCB_KIND_TAIL ? MCB_JSON_KIND_TAIL : "bogus";

	put(&o, "{\"%s\":\"%s\"", MCB_JSON_KIND, kind);
	put_str(&o, MCB_JSON_FAMILY, e->family);
	put_str(&o, MCB_JSON_GROUP, e->group);
	put(&o, ",\"%s\":%llu", MCB_JSON_BRIDGE_SEQ,
	    (unsigned long long)e->bridge_seq);
	put(&o, ",\"%s\":%llu", MCB_JSON_BRIDGE_TIME,
	    (unsigned long long)e->bridge_time_ns);
	if (e->bridge_run)
		put(&o, ",\"%s\":%lu", MCB_JSON_BRIDGE_RUN,
		    (unsigned long)e->bridge_run);
	if (e->kind != MCB_KIND_EVENT) {
		put(&o, ",\"%s\":%llu", MCB_JSON_COUNT,
		    (unsigned long long)e->count);
		if (e->has_kseq)
			put(&o, ",\"%s\":%llu", MCB_JSON_KERNEL_SEQ,
			    (unsigned long long)e->kernel_seq);
	} else {
		const char *cmd = e->cmd_name;
		char num[8];

		if (!cmd && is_mcbridge(e))
			cmd = mcb_name(mcb_cmd_names, e->cmd);
		if (!cmd) {
			snprintf(num, sizeof(num), "%u", e->cmd);
			cmd = num;
		}
		put_str(&o, MCB_JSON_CMD, cmd);
		put(&o, ",\"%s\":%u", MCB_JSON_CMD_ID, e->cmd);
		if (e->has_kseq)
			put(&o, ",\"%s\":%llu", KEY(SEQ),
			    (unsigned long long)e->kernel_seq);
		if (e->has_ktime)
			put(&o, ",\"%s\":%llu", KEY(TIMESTAMP_NS),
			    (unsigned long long)e->kernel_time_ns);
		if (e->type >= 0)
			put_enum(&o, KEY(TYPE),
				 mcb_name(mcb_event_type_names, e->type), e->type);
		if (e->cpu >= 0)
			put(&o, ",\"%s\":%lld", KEY(CPU), (long long)e->cpu);
		if (e->ifindex >= 0)
			put(&o, ",\"%s\":%lld", KEY(IFINDEX),
			    (long long)e->ifindex);
		if (e->ifname)
			put_str(&o, KEY(IFNAME), e->ifname);
		if (e->netdev_event >= 0)
			put_enum(&o, KEY(NETDEV_EVENT),
				 mcb_name(mcb_netdev_event_names, e->netdev_event),
				 e->netdev_event);
		if (e->ifflags >= 0)
			put(&o, ",\"%s\":%lld", KEY(IFFLAGS),
			    (long long)e->ifflags);
		if (e->mtu >= 0)
			put(&o, ",\"%s\":%lld", KEY(MTU), (long long)e->mtu);
		if (e->module)
			put_str(&o, KEY(MODULE_NAME), e->module);
		if (e->module_state >= 0)
			put_enum(&o, KEY(MODULE_STATE),
				 mcb_name(mcb_module_state_names, e->module_state),
				 e->module_state);
		if (e->text)
			put_str(&o, KEY(TEXT), e->text);
		if (e->json_attrs)
			put(&o, ",\"%s\":%s", MCB_JSON_ATTRS, e->json_attrs);
	}
	if (e->json_extra)
		put(&o, "%s", e->json_extra);
	if (e->truncated)
		put(&o, ",\"%s\":true", MCB_JSON_TRUNCATED);
	put(&o, "}\n");
	return o.full ? 0 : o.len;
}
