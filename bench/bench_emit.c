// SPDX-License-Identifier: MIT
/* Event messages as the module builds them: see bench.h. */
#include "bench.h"

#include <string.h>
#include <linux/genetlink.h>

#include <linux/mcbridge.h>

/* Appends one attribute; returns the offset of its payload. */
static size_t put_attr(struct bench_evmsg *m, uint16_t type, const void *data,
		       size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			    .nla_type = type };
	size_t off = m->len + NLA_HDRLEN;

	memcpy(m->buf + m->len, &a, sizeof(a));
	memcpy(m->buf + off, data, len);
	memset(m->buf + off + len, 0, NLA_ALIGN(len) - len);
	m->len = off + NLA_ALIGN(len);
	return off;
}

int bench_evmsg_build(struct bench_evmsg *m, uint16_t family_id,
		      const char *text)
{
	struct nlmsghdr nlh = { .nlmsg_type = family_id };
	struct genlmsghdr g = { .cmd = MCBRIDGE_CMD_EVENT,
				.version = MCBRIDGE_GENL_VERSION };
	size_t tlen = strlen(text) + 1;
	uint64_t zero64 = 0;
	uint32_t type = MCBRIDGE_EVENT_INJECTED, cpu = 0;

	if (tlen > MCBRIDGE_TEXT_MAX + 1)
		return -1;
	memset(m, 0, sizeof(*m));
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	memcpy(m->buf + NLMSG_HDRLEN, &g, sizeof(g));
	/* The module's order: seq, timestamp_ns, type, cpu, text.  This
	 * machine has cheap unaligned access (x86, arm64), so the module's
	 * nla_put_u64_64bit() adds no pad attribute either. */
	m->off_seq = put_attr(m, MCBRIDGE_ATTR_SEQ, &zero64, 8);
	m->off_ts = put_attr(m, MCBRIDGE_ATTR_TIMESTAMP_NS, &zero64, 8);
	m->off_type = put_attr(m, MCBRIDGE_ATTR_TYPE, &type, 4);
	put_attr(m, MCBRIDGE_ATTR_CPU, &cpu, 4);
	put_attr(m, MCBRIDGE_ATTR_TEXT, text, tlen);
	nlh.nlmsg_len = (uint32_t)m->len;
	memcpy(m->buf, &nlh, sizeof(nlh));
	return 0;
}

void bench_evmsg_put(const struct bench_evmsg *m, void *dst, uint64_t seq,
		     uint64_t ts_ns, uint32_t type)
{
	unsigned char *p = dst;

	memcpy(p, m->buf, m->len);
	memcpy(p + m->off_seq, &seq, sizeof(seq));
	memcpy(p + m->off_ts, &ts_ns, sizeof(ts_ns));
	memcpy(p + m->off_type, &type, sizeof(type));
}
