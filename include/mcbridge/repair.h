/* SPDX-License-Identifier: MIT */
/*
 * Repair channel messages (the format: mcbridge/wire.h) in host order, and
 * the one encoder and parser of them: mcbridged parses requests and writes
 * answers, libmcbridge-client the other way round.  Nothing allocates.
 */
#ifndef MCBRIDGE_REPAIR_H
#define MCBRIDGE_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mcbridge/auth.h>
#include <mcbridge/wire.h>

/* One message of any type; which fields count depends on the type. */
struct mcb_repair_msg {
	uint8_t type;			/* enum mcb_repair_type */
	uint8_t status;			/* END */
	bool auth;			/* carried a MAC */
	uint32_t run;
	uint64_t session;
	uint64_t req_seq;
	/* requests: the range and the mapping */
	uint64_t first, last, count, epoch;
	uint8_t af;			/* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
	char family[MCB_WIRE_NAMSIZ];	/* NUL-terminated */
	char group[MCB_WIRE_NAMSIZ];
	/* END (first, last: resent) */
	uint64_t lost_first, lost_last;
	uint64_t held_first, held_last;
	/* DATA (first, last: the answer's range): count records */
	const unsigned char *recs;
	size_t recs_len;
};

enum mcb_repair_parse {
	MCB_RP_OK = 0,
	MCB_RP_MALFORMED,	/* not a message of the expected kind */
	MCB_RP_UNSIGNED,	/* a key is set but there is no MAC */
	MCB_RP_BAD_MAC,		/* forged or altered */
	MCB_RP_AUTH_ERROR,	/* libcrypto failed */
};

const char *mcb_repair_parse_str(enum mcb_repair_parse r);
const char *mcb_repair_status_str(uint8_t status);

/*
 * A request (RANGE, SINCE, LAST) or an END into buf: returns its length,
 * or 0 when cap is too small, the type is not one of those, or the MAC
 * could not be computed.  With auth, it is signed (MCB_REPAIR_F_AUTH).
 */
size_t mcb_repair_encode(const struct mcb_repair_msg *m, struct mcb_auth *auth,
			 void *buf, size_t cap);

/* A DATA message: its header (count 0) into buf, which must hold
 * sizeof(struct mcb_repair_data); returns that length. */
size_t mcb_repair_data_begin(const struct mcb_repair_msg *m, void *buf);
/* One more record: returns the new length, or 0 when it does not fit in
 * cap (the message is left as it was). */
size_t mcb_repair_data_add(void *buf, size_t len, size_t cap,
			   const void *dgram, size_t dlen);

/*
 * Parse a request (mcbridged) or an answer (DATA or END: listeners).  With
 * auth, requests and ENDs must carry a valid MAC; without, a MAC is
 * skipped unchecked.  Every length is checked against len; DATA's records
 * are checked to fill the message exactly.
 */
enum mcb_repair_parse mcb_repair_parse_req(const void *buf, size_t len,
					   struct mcb_auth *auth,
					   struct mcb_repair_msg *m);
enum mcb_repair_parse mcb_repair_parse_ans(const void *buf, size_t len,
					   struct mcb_auth *auth,
					   struct mcb_repair_msg *m);

/* The next record of a parsed DATA message: *pos starts at 0.  Returns
 * true and the datagram, or false after the last. */
bool mcb_repair_data_next(const struct mcb_repair_msg *m, size_t *pos,
			  const unsigned char **dgram, size_t *dlen);

#endif /* MCBRIDGE_REPAIR_H */
