/* SPDX-License-Identifier: MIT */
/*
 * A tiny encoder for the tests: builds mcbridge datagrams (wire.h) from a
 * description, with knobs to break them.  It stands in for mcbridged where
 * the tests need exact control; the layout comes from wire.h.
 */
#ifndef MCB_TESTENC_H
#define MCB_TESTENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mcbridge/wire.h>

struct tenc_event {
	uint8_t kind;			/* MCB_KIND_*, default event */
	const char *family;		/* default "mcbridge" */
	const char *group;		/* default "events" */
	uint8_t cmd;			/* default MCBRIDGE_CMD_EVENT */
	const char *cmd_name;		/* JSON; NULL: from names.h or number */
	uint8_t genl_version;
	uint64_t bridge_seq;
	uint64_t bridge_time_ns;
	uint32_t bridge_run;		/* 0: none (an older bridge) */
	bool has_kseq, has_ktime;
	uint64_t kernel_seq, kernel_time_ns;
	uint64_t count;			/* notices */
	/* mcbridge attributes; -1 = absent */
	int64_t type, cpu, ifindex, netdev_event, ifflags, mtu, module_state;
	const char *ifname, *module, *text;
	bool truncated;
	/* binary */
	bool attr_be;			/* write attributes big-endian */
	const unsigned char *extra_attrs;	/* raw, appended as they are */
	size_t extra_len;
	/* JSON */
	const char *json_attrs;		/* raw text for "attrs", or NULL */
	const char *json_extra;		/* raw ",key:value..." appended */
	/* breakage (binary): 0 = correct value */
	uint32_t magic;
	int version;			/* -1 = correct */
	int hdr_len;			/* -1 = correct */
	int64_t attr_len_delta;
};

/* Defaults: an mcbridge event with nothing optional. */
void tenc_init(struct tenc_event *e);

/* Append one netlink attribute at buf[*off]; false when it does not fit. */
bool tenc_nla(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
	      const void *data, uint16_t len, bool be);
bool tenc_nla_u32(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
		  uint32_t v, bool be);
bool tenc_nla_u64(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
		  uint64_t v, bool be);
bool tenc_nla_str(unsigned char *buf, size_t cap, size_t *off, uint16_t type,
		  const char *s, bool be);

/* Datagram length, or 0 when cap is too small. */
size_t tenc_binary(const struct tenc_event *e, void *buf, size_t cap);
size_t tenc_json(const struct tenc_event *e, char *buf, size_t cap);

#endif /* MCB_TESTENC_H */
