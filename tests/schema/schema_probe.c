// SPDX-License-Identifier: MIT
/*
 * schema_probe NAME VALUE: one mcbridge event carrying the event attribute
 * NAME (its spec name) = VALUE, through every consumer of the attribute
 * table: the bridge's JSON and binary encoders, the client's two decoders
 * and two renderers, and mcbridge-ctl's monitor printer.  Prints what each
 * made of it, one "<consumer>: <output>" line each; exits 1 when a consumer
 * lost the attribute.  The attribute is looked up by name in the table, so
 * the probe builds unchanged against a spec with attributes added.
 *
 * schema_probe --ext-ack: mcbridge-ctl's message for a refused request.
 *
 * Built with tools/mcbridge-ctl.c included (its main() renamed), so that
 * the ctl line comes from the real printer.
 */
#define main ctl_main
int ctl_main(int argc, char **argv);
#include "../../tools/mcbridge-ctl.c"
#undef main

#include "event.h"
#include "mcbridge_client.h"

int main(int argc, char **argv);

static unsigned char attrs[4096];
static size_t attrs_len;

static void put_attr(uint16_t type, const void *data, uint16_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	memset(attrs + attrs_len, 0, NLA_ALIGN(nla.nla_len));
	memcpy(attrs + attrs_len, &nla, sizeof(nla));
	memcpy(attrs + attrs_len + NLA_HDRLEN, data, len);
	attrs_len += NLA_ALIGN(nla.nla_len);
}

static void put_value(const struct mcb_attr_desc *d, const char *value)
{
	uint64_t v64 = strtoull(value, NULL, 0);
	uint32_t v32 = (uint32_t)v64;

	switch (d->type) {
	case MCB_AT_U32:
		put_attr(d->id, &v32, sizeof(v32));
		break;
	case MCB_AT_U64:
		put_attr(d->id, &v64, sizeof(v64));
		break;
	case MCB_AT_STRING:
		put_attr(d->id, value, (uint16_t)(strlen(value) + 1));
		break;
	}
}

static void nla_put_raw(unsigned char *buf, uint32_t *len, uint16_t type,
			const void *data, uint16_t dlen)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + dlen, .nla_type = type };

	memcpy(buf + *len, &nla, sizeof(nla));
	memcpy(buf + *len + NLA_HDRLEN, data, dlen);
	*len += NLA_ALIGN(nla.nla_len);
}

static const struct mcb_attr_desc *find(const char *name)
{
	for (unsigned id = 0; id <= mcb_mcbridge_attrs.max; id++)
		if (!strcmp(mcb_mcbridge_attrs.rows[id].name, name))
			return &mcb_mcbridge_attrs.rows[id];
	return NULL;
}

/* The decoded field holds value. */
static bool field_is(const struct mcb_event *ev,
		     const struct mcb_attr_desc *d, const char *value)
{
	const char *f = (const char *)ev + d->field_off;
	uint64_t v = 0;
	uint32_t v32;

	if (!(ev->has & d->has))
		return false;
	if (d->type == MCB_AT_STRING)
		return !strcmp(f, value);
	if (d->field_size == sizeof(v32)) {
		memcpy(&v32, f, sizeof(v32));
		v = v32;
	} else {
		memcpy(&v, f, sizeof(v));
	}
	return v == strtoull(value, NULL, 0);
}

static bool decode(const char *what, const void *buf, size_t len,
		   const struct mcb_attr_desc *d, const char *value)
{
	static struct mcb_event ev;
	enum mcb_err err = mcb_decode(buf, len, MCB_FMT_AUTO, &ev);

	if (err || !field_is(&ev, d, value)) {
		printf("%s decoder: lost it (%s)\n", what, mcb_strerror(err));
		return false;
	}
	printf("%s decoder: field %s\n", what, value);
	printf("%s render_json: ", what);
	fflush(stdout);
	mcb_render_json(stdout, &ev, NULL);
	printf("%s render_human: ", what);
	fflush(stdout);
	mcb_render_human(stdout, &ev, NULL);
	fflush(stdout);
	return true;
}

/* The monitor's line for the attributes, through libnl as received. */
static bool ctl_line(void)
{
	struct monitor_args args = { 0 };
	struct monitor mon = { .args = &args, .family = 0x20 };
	struct nl_msg *msg = nlmsg_alloc();
	void *payload;

	if (!msg || !genlmsg_put(msg, 0, 0, mon.family, 0, 0,
				 MCBRIDGE_CMD_EVENT, MCBRIDGE_GENL_VERSION))
		return false;
	payload = nlmsg_reserve(msg, attrs_len, NLMSG_ALIGNTO);
	if (!payload)
		return false;
	memcpy(payload, attrs, attrs_len);
	printf("ctl monitor: ");
	fflush(stdout);
	on_event(msg, &mon);
	fflush(stdout);
	nlmsg_free(msg);
	return mon.received == 1;
}

/*
 * The ext-ack decoding: an emit request of text and count, refused with a
 * message pointing at count (NLMSGERR_ATTR_OFFS) and naming text missing.
 */
static int ext_ack(void)
{
	struct ctl ctl = { .family = 0x20 };
	unsigned char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *reply = (struct nlmsghdr *)buf, *req;
	struct nlmsgerr *err;
	size_t off;
	uint32_t v;

	if (request_new(&ctl, MCBRIDGE_CMD_EMIT) ||
	    nla_put_string(ctl.req, MCBRIDGE_ATTR_TEXT, "x") ||
	    nla_put_u32(ctl.req, MCBRIDGE_ATTR_COUNT, 0))
		return 1;
	req = nlmsg_hdr(ctl.req);
	memset(buf, 0, sizeof(buf));
	err = NLMSG_DATA(reply);
	err->error = -ERANGE;
	memcpy(&err->msg, req, req->nlmsg_len);
	off = NLMSG_HDRLEN + sizeof(*err) + req->nlmsg_len - NLMSG_HDRLEN;
	reply->nlmsg_flags = NLM_F_ACK_TLVS;
	reply->nlmsg_len = (uint32_t)off;
	/* MSG, OFFS (count: the last attribute), MISS_TYPE (text) */
	nla_put_raw(buf, &reply->nlmsg_len, NLMSGERR_ATTR_MSG, "out of range",
		    sizeof("out of range"));
	v = req->nlmsg_len - NLA_ALIGN(NLA_HDRLEN + sizeof(uint32_t));
	nla_put_raw(buf, &reply->nlmsg_len, NLMSGERR_ATTR_OFFS, &v, sizeof(v));
	v = MCBRIDGE_ATTR_TEXT;
	nla_put_raw(buf, &reply->nlmsg_len, NLMSGERR_ATTR_MISS_TYPE, &v,
		    sizeof(v));
	on_error(NULL, err, &ctl);
	report_error(&ctl, "emit", ctl.error);
	request_free(&ctl);
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char out[MCB_WIRE_MAX_DATAGRAM];
	const struct mcb_attr_desc *d;
	uint64_t seq = 5, ts = 900;
	uint32_t type = MCBRIDGE_EVENT_HEARTBEAT;
	struct mcb_nl_event ev = {
		.kind = MCB_KIND_EVENT, .family = MCBRIDGE_GENL_NAME,
		.group = MCBRIDGE_MCGRP_EVENTS, .is_mcbridge = true,
		.cmd = MCBRIDGE_CMD_EVENT, .genl_version = 1,
		.bridge_seq = 9, .bridge_time_ns = 1000,
		.has_kernel_seq = true, .kernel_seq = 5,
		.has_kernel_time = true, .kernel_time_ns = 900,
	};
	bool trunc, ok = true;
	size_t len;

	if (argc == 2 && !strcmp(argv[1], "--ext-ack"))
		return ext_ack();
	if (argc != 3) {
		fprintf(stderr, "usage: schema_probe NAME VALUE | --ext-ack\n");
		return 2;
	}
	d = find(argv[1]);
	if (!d || !d->in_event) {
		printf("table: no event attribute %s\n", argv[1]);
		return 1;
	}
	put_attr(MCBRIDGE_ATTR_SEQ, &seq, sizeof(seq));
	put_attr(MCBRIDGE_ATTR_TIMESTAMP_NS, &ts, sizeof(ts));
	put_attr(MCBRIDGE_ATTR_TYPE, &type, sizeof(type));
	put_value(d, argv[2]);
	ev.attrs = attrs;
	ev.attr_len = (uint32_t)attrs_len;

	len = mcb_encode_json(&ev, out, sizeof(out), &trunc);
	printf("bridge encode_json: %.*s", (int)len, out);
	ok &= decode("json", out, len, d, argv[2]);
	len = mcb_encode_binary(&ev, out, sizeof(out), &trunc);
	printf("bridge encode_binary: %zu bytes\n", len);
	ok &= decode("binary", out, len, d, argv[2]);
	ok &= ctl_line();
	return ok ? 0 : 1;
}
