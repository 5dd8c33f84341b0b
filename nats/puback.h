/* SPDX-License-Identifier: MIT */
/*
 * JetStream's reply to a publish: {"stream":S,"seq":N[,"duplicate":true]}
 * or {"error":{"code":C,"err_code":E,"description":D}}.
 */
#ifndef MCBN_PUBACK_H
#define MCBN_PUBACK_H

#include <stddef.h>
#include <stdint.h>

enum mcbn_ack_kind {
	MCBN_ACK_STORED = 0,	/* stored now, at seq */
	MCBN_ACK_DUPLICATE,	/* stored before: the Nats-Msg-Id was known */
	MCBN_ACK_ERROR,		/* refused: code, err_code, text */
	MCBN_ACK_MALFORMED,	/* not a reply we understand */
};

struct mcbn_puback {
	enum mcbn_ack_kind kind;
	uint64_t seq;		/* the stream's sequence number */
	unsigned code;		/* HTTP-like status of an error */
	unsigned err_code;	/* JetStream's error code */
	char stream[64];	/* cut to fit */
	char text[128];		/* an error's description, cut to fit */
};

/* Parses len bytes (no NUL needed). */
void mcbn_puback_parse(const char *buf, size_t len, struct mcbn_puback *pa);

#endif
