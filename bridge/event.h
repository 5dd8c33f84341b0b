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

/*
 * A mapping's names in their wire forms, made once (mcb_enc_prepare,
 * encode_prep.c) so that the encoders copy them instead of formatting them
 * for every datagram.
 */
#define MCB_JSON_NAMES_MAX	(sizeof(",\"" MCB_JSON_FAMILY "\":\"\",\"" \
					MCB_JSON_GROUP "\":\"\"") + \
				 2 * 6 * MCB_WIRE_NAMSIZ)

struct mcb_enc_prep {
	bool ready;			/* made by mcb_enc_prepare */
	char family[MCB_WIRE_NAMSIZ];	/* NUL-padded: the binary header's */
	char group[MCB_WIRE_NAMSIZ];
	uint32_t run;			/* the bridge run of json_run */
	bool is_mcbridge;
	/* JSON, by the encoder's own writer (mcb_encode_json_prepare): */
	char json[MCB_JSON_NAMES_MAX];	/* ,"family":"F","group":"G" */
	size_t json_len;
	char json_run[32];		/* ,"bridge_run":N (run != 0) */
	size_t json_run_len;
	/* The family's event command, for the mcbridge family (other
	 * families' commands are not known here: json_cmd_len 0). */
	uint8_t cmd;
	char json_cmd[64];		/* ,"cmd":"event","cmd_id":1 */
	size_t json_cmd_len;
};

void mcb_enc_prepare(struct mcb_enc_prep *p, const char *family,
		     const char *group, uint32_t run);
/* The JSON pieces of p from its names (encode_json.c). */
void mcb_encode_json_prepare(struct mcb_enc_prep *p);

struct mcb_nl_event {
	enum mcb_wire_kind kind;
	const char *family;		/* names, < MCB_WIRE_NAMSIZ bytes */
	const char *group;
	/* The same names prepared, or NULL (the encoders format them). */
	const struct mcb_enc_prep *prep;
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
