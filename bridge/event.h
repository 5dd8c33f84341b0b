/* SPDX-License-Identifier: MIT */
/*
 * One datagram's worth of input to an encoder: a netlink event (raw
 * attributes, pointing into the receive buffer) or a loss notice.  Not the
 * client's decoded struct mcb_event: this one is the bridge's, as received.
 */
#ifndef MCB_EVENT_H
#define MCB_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mcbridge/wire.h>

struct mcb_nl_event {
	enum mcb_wire_kind kind;
	const char *family;		/* names, < MCB_WIRE_NAMSIZ bytes */
	const char *group;
	bool is_mcbridge;		/* decode attributes by name */
	uint8_t cmd;
	uint8_t genl_version;
	uint64_t bridge_seq;
	uint64_t bridge_time_ns;
	uint32_t bridge_run;		/* 0: none sent (mcbridge/wire.h) */
	bool has_kernel_seq;
	bool has_kernel_time;
	uint64_t kernel_seq;
	uint64_t kernel_time_ns;
	uint64_t count;			/* notices */
	const void *attrs;		/* after the genetlink header */
	uint32_t attr_len;
};

/*
 * Encoders write one datagram of at most cap bytes into buf and return its
 * length, or 0 when cap cannot hold even the fixed fields.  *truncated says
 * whether attributes were dropped to fit.
 */
typedef size_t (*mcb_encode_fn)(const struct mcb_nl_event *ev, void *buf,
				size_t cap, bool *truncated);

size_t mcb_encode_json(const struct mcb_nl_event *ev, void *buf, size_t cap,
		       bool *truncated);
size_t mcb_encode_binary(const struct mcb_nl_event *ev, void *buf, size_t cap,
			 bool *truncated);

#endif
