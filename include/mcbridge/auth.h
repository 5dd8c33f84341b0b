/* SPDX-License-Identifier: MIT */
/*
 * Datagram authentication (the format is in mcbridge/wire.h): key files,
 * HMAC-SHA256 sign and verify, and the receiver's replay window.  Used by
 * mcbridged to sign and by libmcbridge-client to verify; link libcrypto.
 * Nothing here allocates per datagram.
 */
#ifndef MCBRIDGE_AUTH_H
#define MCBRIDGE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mcbridge/wire.h>

struct mcb_key {
	size_t len;
	unsigned char bytes[MCB_KEY_MAX];
};

/*
 * Read a key file (raw or hex, see wire.h); "cred:NAME" is the systemd
 * credential $CREDENTIALS_DIRECTORY/NAME.  Refuses anything but a regular
 * file owned by root or the caller that group and others cannot access
 * (by mode, or by POSIX ACL when it has one).
 * Returns 0, or -1 with a one-line reason in why.
 */
int mcb_key_load(struct mcb_key *k, const char *path, char *why,
		 size_t why_size);
/* Overwrite the key bytes. */
void mcb_key_wipe(struct mcb_key *k);

/* OpenSSL's MAC context, made once per key. */
struct evp_mac_st;
struct evp_mac_ctx_st;

struct mcb_auth {
	struct evp_mac_st *mac;
	struct evp_mac_ctx_st *ctx;
};

/* Returns 0, or -1 when libcrypto cannot provide HMAC-SHA256. */
int mcb_auth_init(struct mcb_auth *a, const struct mcb_key *k);
void mcb_auth_fini(struct mcb_auth *a);

/*
 * Turn the plain datagram of len bytes at buf (cap bytes of room) into its
 * authenticated form with this epoch.  binary selects the format.  Returns
 * the new length: len + sizeof(struct mcb_wire_auth) (binary) or
 * len + MCB_JSON_AUTH_EXTRA (json); 0 if it does not fit or the datagram is
 * not one the encoder makes.
 */
size_t mcb_auth_sign(struct mcb_auth *a, void *buf, size_t len, size_t cap,
		     bool binary, uint64_t epoch);

enum mcb_auth_result {
	MCB_AUTH_OK = 0,
	MCB_AUTH_UNSIGNED,	/* no epoch/MAC in the authenticated form */
	MCB_AUTH_BAD_MAC,	/* forged or altered */
	MCB_AUTH_ERROR,		/* libcrypto failed */
};

/* Check a received datagram; on MCB_AUTH_OK *epoch is its epoch. */
enum mcb_auth_result mcb_auth_verify(struct mcb_auth *a, const void *buf,
				     size_t len, uint64_t *epoch);
const char *mcb_auth_strerror(enum mcb_auth_result r);

/*
 * The MAC of any n bytes (the repair channel's messages sign this way).
 * Returns 0, or -1 when libcrypto failed.
 */
int mcb_auth_mac(struct mcb_auth *a, const void *p, size_t n,
		 unsigned char mac[MCB_WIRE_MAC_LEN]);
/* Whether mac is the MAC of the n bytes at p, compared in constant time. */
enum mcb_auth_result mcb_auth_check(struct mcb_auth *a, const void *p,
				    size_t n, const unsigned char *mac);

/*
 * Replay window (as in IPsec, RFC 4303 3.4.3): per epoch the highest
 * bridge_seq accepted and a bitmap of the MCB_REPLAY_WINDOW below it.  Any
 * authenticated epoch not seen before is accepted (a bridge start, or
 * another mapping); MCB_REPLAY_EPOCHS are remembered, the least recently
 * used is forgotten first.
 */
#define MCB_REPLAY_WINDOW	64
#define MCB_REPLAY_EPOCHS	16

struct mcb_replay_slot {
	uint64_t epoch;
	uint64_t top;		/* highest seq accepted */
	uint64_t seen;		/* bit i: seq top - i accepted */
	uint64_t used;		/* LRU clock; 0 = free */
};

struct mcb_replay {
	uint64_t clock;
	struct mcb_replay_slot slots[MCB_REPLAY_EPOCHS];
};

enum mcb_replay_verdict {
	MCB_REPLAY_NEW_EPOCH,	/* accepted: first datagram of this epoch */
	MCB_REPLAY_FRESH,	/* accepted */
	MCB_REPLAY_DUP,		/* rejected: this seq was accepted before */
	MCB_REPLAY_STALE,	/* rejected: older than the window */
};

void mcb_replay_init(struct mcb_replay *r);
/* Checks (epoch, seq) and records it when accepted. */
enum mcb_replay_verdict mcb_replay_check(struct mcb_replay *r, uint64_t epoch,
					 uint64_t seq);

#endif /* MCBRIDGE_AUTH_H */
