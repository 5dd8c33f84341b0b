// SPDX-License-Identifier: MIT
/*
 * Repair channel messages: the one encoder and parser (format:
 * mcbridge/wire.h).  Fixed-size messages are copied into their aligned
 * struct and converted field by field; DATA records are walked with every
 * length checked against the message.
 */
#include <mcbridge/repair.h>

#include <endian.h>
#include <string.h>

const char *mcb_repair_parse_str(enum mcb_repair_parse r)
{
	switch (r) {
	case MCB_RP_OK: return "ok";
	case MCB_RP_MALFORMED: return "malformed";
	case MCB_RP_UNSIGNED: return "not signed";
	case MCB_RP_BAD_MAC: return "bad MAC (forged or altered)";
	case MCB_RP_AUTH_ERROR: return "MAC computation failed";
	}
	return "unknown";
}

const char *mcb_repair_status_str(uint8_t status)
{
	switch (status) {
	case MCB_REPAIR_OK: return "ok";
	case MCB_REPAIR_ST_RUN: return "another bridge run";
	case MCB_REPAIR_ST_NO_MAPPING: return "no such mapping";
	case MCB_REPAIR_ST_AMBIGUOUS: return "several mappings match";
	case MCB_REPAIR_ST_BUSY: return "too many requesters";
	case MCB_REPAIR_ST_BAD: return "bad range";
	}
	return "unknown status";
}

static bool is_request(uint8_t type)
{
	return type == MCB_REPAIR_RANGE || type == MCB_REPAIR_SINCE ||
	       type == MCB_REPAIR_LAST;
}

static void put_hdr(struct mcb_repair_hdr *h, const struct mcb_repair_msg *m)
{
	memset(h, 0, sizeof(*h));
	h->magic = htobe32(MCB_REPAIR_MAGIC);
	h->version = MCB_REPAIR_VERSION;
	h->type = m->type;
	h->status = m->type == MCB_REPAIR_END ? m->status : 0;
	h->run = htobe32(m->run);
	h->session = htobe64(m->session);
	h->req_seq = htobe64(m->req_seq);
}

/* A NUL-padded name field from a string (at most NAMSIZ - 1 bytes). */
static void put_name(char dst[MCB_WIRE_NAMSIZ], const char *src)
{
	size_t n = strnlen(src, MCB_WIRE_NAMSIZ - 1);

	memset(dst, 0, MCB_WIRE_NAMSIZ);
	memcpy(dst, src, n);
}

/* Appends the MAC of the len bytes at buf when signing; the new length,
 * or 0. */
static size_t seal(unsigned char *buf, size_t len, size_t cap,
		   struct mcb_auth *auth)
{
	if (!auth)
		return len;
	if (cap - len < MCB_WIRE_MAC_LEN ||
	    mcb_auth_mac(auth, buf, len, buf + len) < 0)
		return 0;
	return len + MCB_WIRE_MAC_LEN;
}

size_t mcb_repair_encode(const struct mcb_repair_msg *m, struct mcb_auth *auth,
			 void *buf, size_t cap)
{
	unsigned char *p = buf;

	if (is_request(m->type)) {
		struct mcb_repair_req r;

		if (cap < sizeof(r))
			return 0;
		memset(&r, 0, sizeof(r));
		put_hdr(&r.hdr, m);
		r.first = htobe64(m->first);
		r.last = htobe64(m->last);
		r.count = htobe64(m->count);
		r.epoch = htobe64(m->epoch);
		memcpy(r.addr, m->addr, sizeof(r.addr));
		r.port = htobe16(m->port);
		r.af = m->af;
		put_name(r.family, m->family);
		put_name(r.group, m->group);
		if (auth)
			r.hdr.flags = MCB_REPAIR_F_AUTH;
		memcpy(p, &r, sizeof(r));
		return seal(p, sizeof(r), cap, auth);
	}
	if (m->type == MCB_REPAIR_END) {
		struct mcb_repair_end e;

		if (cap < sizeof(e))
			return 0;
		put_hdr(&e.hdr, m);
		e.first = htobe64(m->first);
		e.last = htobe64(m->last);
		e.lost_first = htobe64(m->lost_first);
		e.lost_last = htobe64(m->lost_last);
		e.held_first = htobe64(m->held_first);
		e.held_last = htobe64(m->held_last);
		if (auth)
			e.hdr.flags = MCB_REPAIR_F_AUTH;
		memcpy(p, &e, sizeof(e));
		return seal(p, sizeof(e), cap, auth);
	}
	return 0;
}

size_t mcb_repair_data_begin(const struct mcb_repair_msg *m, void *buf)
{
	struct mcb_repair_data d;

	memset(&d, 0, sizeof(d));
	put_hdr(&d.hdr, m);
	d.hdr.type = MCB_REPAIR_DATA;
	d.first = htobe64(m->first);
	d.last = htobe64(m->last);
	memcpy(buf, &d, sizeof(d));
	return sizeof(d);
}

static size_t rec_size(size_t dlen)
{
	return MCB_REPAIR_REC_HDR + ((dlen + 3) & ~(size_t)3);
}

size_t mcb_repair_data_add(void *buf, size_t len, size_t cap,
			   const void *dgram, size_t dlen)
{
	unsigned char *p = buf;
	size_t n = rec_size(dlen);
	uint32_t be, count;

	if (dlen > MCB_REPAIR_MAX_RECORD || len > cap || cap - len < n)
		return 0;
	be = htobe32((uint32_t)dlen);
	memcpy(p + len, &be, sizeof(be));
	memcpy(p + len + MCB_REPAIR_REC_HDR, dgram, dlen);
	memset(p + len + MCB_REPAIR_REC_HDR + dlen, 0,
	       n - MCB_REPAIR_REC_HDR - dlen);
	memcpy(&count, p + offsetof(struct mcb_repair_data, count),
	       sizeof(count));
	count = htobe32(be32toh(count) + 1);
	memcpy(p + offsetof(struct mcb_repair_data, count), &count,
	       sizeof(count));
	return len + n;
}

/* The fixed header; MALFORMED unless it is one we could have written. */
static enum mcb_repair_parse get_hdr(const unsigned char *p, size_t len,
				     struct mcb_repair_msg *m)
{
	struct mcb_repair_hdr h;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(h))
		return MCB_RP_MALFORMED;
	memcpy(&h, p, sizeof(h));
	if (be32toh(h.magic) != MCB_REPAIR_MAGIC ||
	    h.version != MCB_REPAIR_VERSION || h.reserved ||
	    (h.flags & ~MCB_REPAIR_F_AUTH) ||
	    (h.status && h.type != MCB_REPAIR_END))
		return MCB_RP_MALFORMED;
	m->type = h.type;
	m->status = h.status;
	m->auth = h.flags & MCB_REPAIR_F_AUTH;
	m->run = be32toh(h.run);
	m->session = be64toh(h.session);
	m->req_seq = be64toh(h.req_seq);
	return MCB_RP_OK;
}

/* A fixed-size message of body bytes, maybe followed by its MAC. */
static enum mcb_repair_parse check_mac(const unsigned char *p, size_t len,
				       size_t body, struct mcb_auth *auth,
				       const struct mcb_repair_msg *m)
{
	if (len != body + (m->auth ? MCB_WIRE_MAC_LEN : 0))
		return MCB_RP_MALFORMED;
	if (!auth)
		return MCB_RP_OK;
	if (!m->auth)
		return MCB_RP_UNSIGNED;
	switch (mcb_auth_check(auth, p, body, p + body)) {
	case MCB_AUTH_OK:
		return MCB_RP_OK;
	case MCB_AUTH_ERROR:
		return MCB_RP_AUTH_ERROR;
	default:
		return MCB_RP_BAD_MAC;
	}
}

static bool all_zero(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

/* A name field: NUL-padded, as the encoder writes it (so that one
 * request has one form). */
static bool get_name(char dst[MCB_WIRE_NAMSIZ], const char *src)
{
	const char *nul = memchr(src, '\0', MCB_WIRE_NAMSIZ);

	if (!nul || !all_zero(nul, (size_t)(src + MCB_WIRE_NAMSIZ - nul)))
		return false;
	memcpy(dst, src, MCB_WIRE_NAMSIZ);
	return true;
}

enum mcb_repair_parse mcb_repair_parse_req(const void *buf, size_t len,
					   struct mcb_auth *auth,
					   struct mcb_repair_msg *m)
{
	const unsigned char *p = buf;
	enum mcb_repair_parse r = get_hdr(p, len, m);
	struct mcb_repair_req q;

	if (r)
		return r;
	if (!is_request(m->type) || len < sizeof(q))
		return MCB_RP_MALFORMED;
	memcpy(&q, p, sizeof(q));
	if ((q.af != 4 && q.af != 6) ||
	    !all_zero(q.reserved, sizeof(q.reserved)) ||
	    (q.af == 4 && !all_zero(q.addr + 4, sizeof(q.addr) - 4)) ||
	    !get_name(m->family, q.family) || !get_name(m->group, q.group))
		return MCB_RP_MALFORMED;
	r = check_mac(p, len, sizeof(q), auth, m);
	if (r)
		return r;
	m->first = be64toh(q.first);
	m->last = be64toh(q.last);
	m->count = be64toh(q.count);
	m->epoch = be64toh(q.epoch);
	m->af = q.af;
	memcpy(m->addr, q.addr, sizeof(m->addr));
	m->port = be16toh(q.port);
	return MCB_RP_OK;
}

/* Every record whole, none past the end, exactly count of them. */
static bool records_ok(const unsigned char *p, size_t len, uint32_t count)
{
	size_t pos = 0;
	uint32_t n = 0;

	while (pos < len) {
		uint32_t be;
		size_t dlen;

		if (len - pos < MCB_REPAIR_REC_HDR)
			return false;
		memcpy(&be, p + pos, sizeof(be));
		dlen = be32toh(be);
		if (dlen == 0 || dlen > MCB_REPAIR_MAX_RECORD ||
		    rec_size(dlen) > len - pos)
			return false;
		pos += rec_size(dlen);
		n++;
	}
	return n == count;
}

enum mcb_repair_parse mcb_repair_parse_ans(const void *buf, size_t len,
					   struct mcb_auth *auth,
					   struct mcb_repair_msg *m)
{
	const unsigned char *p = buf;
	enum mcb_repair_parse r = get_hdr(p, len, m);

	if (r)
		return r;
	if (m->type == MCB_REPAIR_DATA) {
		struct mcb_repair_data d;

		if (len < sizeof(d) || m->auth)
			return MCB_RP_MALFORMED;
		memcpy(&d, p, sizeof(d));
		if (d.reserved ||
		    !records_ok(p + sizeof(d), len - sizeof(d),
				be32toh(d.count)))
			return MCB_RP_MALFORMED;
		m->first = be64toh(d.first);
		m->last = be64toh(d.last);
		m->count = be32toh(d.count);
		m->recs = p + sizeof(d);
		m->recs_len = len - sizeof(d);
		return MCB_RP_OK;
	}
	if (m->type == MCB_REPAIR_END) {
		struct mcb_repair_end e;

		if (len < sizeof(e))
			return MCB_RP_MALFORMED;
		r = check_mac(p, len, sizeof(e), auth, m);
		if (r)
			return r;
		memcpy(&e, p, sizeof(e));
		m->first = be64toh(e.first);
		m->last = be64toh(e.last);
		m->lost_first = be64toh(e.lost_first);
		m->lost_last = be64toh(e.lost_last);
		m->held_first = be64toh(e.held_first);
		m->held_last = be64toh(e.held_last);
		return MCB_RP_OK;
	}
	return MCB_RP_MALFORMED;
}

bool mcb_repair_data_next(const struct mcb_repair_msg *m, size_t *pos,
			  const unsigned char **dgram, size_t *dlen)
{
	uint32_t be;

	/* The parser checked every record: only the end needs finding. */
	if (m->type != MCB_REPAIR_DATA || *pos >= m->recs_len)
		return false;
	memcpy(&be, m->recs + *pos, sizeof(be));
	*dlen = be32toh(be);
	*dgram = m->recs + *pos + MCB_REPAIR_REC_HDR;
	*pos += rec_size(*dlen);
	return true;
}
