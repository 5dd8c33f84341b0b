/* SPDX-License-Identifier: MIT */
/*
 * What every receiver does with a datagram before using it: the size, the
 * MAC and the replay window when a key is set, the decoding, the run.  One
 * place for mcbridge-listen, mcbridge-nats and any application.
 */
#include <errno.h>
#include <string.h>

#include "mcbridge_client.h"

int mcb_receiver_init(struct mcb_receiver *r, enum mcb_format format,
		      const struct mcb_key *key)
{
	memset(r, 0, sizeof(*r));
	r->format = format;
	mcb_replay_init(&r->replay);
	if (!key)
		return 0;
	if (mcb_auth_init(&r->auth, key) < 0)
		return -EOPNOTSUPP;
	r->authenticate = true;
	return 0;
}

void mcb_receiver_fini(struct mcb_receiver *r)
{
	if (r->authenticate)
		mcb_auth_fini(&r->auth);
	r->authenticate = false;
}

static enum mcb_recv_result auth_result(enum mcb_auth_result ar)
{
	switch (ar) {
	case MCB_AUTH_OK:
		break;
	case MCB_AUTH_UNSIGNED:
		return MCB_RECV_UNSIGNED;
	case MCB_AUTH_BAD_MAC:
		return MCB_RECV_BAD_MAC;
	case MCB_AUTH_ERROR:
		return MCB_RECV_AUTH_ERROR;
	}
	return MCB_RECV_OK;
}

enum mcb_recv_result mcb_receive(struct mcb_receiver *r, const void *buf,
				 size_t len, struct mcb_event *ev,
				 struct mcb_recv_info *info)
{
	uint64_t epoch = 0;

	memset(info, 0, sizeof(*info));
	/* Longer than any mcbridge datagram can be (the caller read with
	 * MSG_TRUNC into a buffer one byte larger). */
	if (len > MCB_WIRE_MAX_DATAGRAM)
		return MCB_RECV_OVERSIZED;
	if (r->authenticate) {
		enum mcb_recv_result res =
			auth_result(mcb_auth_verify(&r->auth, buf, len, &epoch));

		if (res != MCB_RECV_OK)
			return res;
		info->epoch = epoch;
	}
	info->err = mcb_decode(buf, len, r->format, ev);
	if (info->err)
		return MCB_RECV_BAD;
	if (!r->authenticate)
		return MCB_RECV_OK;
	/* After decoding: bridge_seq is read from the authenticated bytes. */
	switch (mcb_replay_check(&r->replay, epoch, ev->bridge_seq)) {
	case MCB_REPLAY_NEW_EPOCH:
		info->new_epoch = true;
		break;
	case MCB_REPLAY_FRESH:
		break;
	case MCB_REPLAY_DUP:
		return MCB_RECV_REPLAYED;
	case MCB_REPLAY_STALE:
		return MCB_RECV_STALE;
	}
	/* A bridge that names no run: a new epoch is a new run, whatever
	 * its seqs. */
	if (!ev->bridge_run) {
		ev->run_id = epoch;
		ev->has |= MCB_HAS_RUN_ID;
	}
	return MCB_RECV_OK;
}

const char *mcb_recv_strerror(enum mcb_recv_result res,
			      const struct mcb_recv_info *info)
{
	switch (res) {
	case MCB_RECV_OK:
		return "ok";
	case MCB_RECV_OVERSIZED:
		return "oversized";
	case MCB_RECV_BAD:
		return mcb_strerror(info->err);
	case MCB_RECV_UNSIGNED:
		return mcb_auth_strerror(MCB_AUTH_UNSIGNED);
	case MCB_RECV_BAD_MAC:
		return mcb_auth_strerror(MCB_AUTH_BAD_MAC);
	case MCB_RECV_AUTH_ERROR:
		return mcb_auth_strerror(MCB_AUTH_ERROR);
	case MCB_RECV_REPLAYED:
		return "replayed (seen before)";
	case MCB_RECV_STALE:
		return "replayed (older than the window)";
	}
	return "unknown";
}
