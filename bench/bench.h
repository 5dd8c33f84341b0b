/* SPDX-License-Identifier: MIT */
/*
 * libbench: what every benchmark program (bench/) shares, one archive
 * (build/bench/libbench.a), one file per job:
 *
 *   bench_time.c   clocks, CPU time, pacing at a rate, end markers, the
 *                  stop signals
 *   bench_args.c   option values, event texts that carry a run tag
 *   bench_stats.c  per-tag receive statistics with exact latency percentiles
 *   bench_emit.c   mcbridge event messages as the module builds them
 *   bench_genl.c   the native source: multicasting them into a generic
 *                  netlink group from userspace (libnl for the names)
 *   bench_recv.c   batched receiving (recvmmsg) into preallocated slots
 *
 * Every event of a benchmark step carries the text TAG followed by '.'
 * padding to a fixed length, so all steps have the same event size and a
 * receiver can account each step separately.
 */
#ifndef MCB_BENCH_H
#define MCB_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#define BENCH_TAG_MAX		15	/* bytes of a tag, without the NUL */
#define BENCH_MAX_TAGS		64
#define BENCH_TEXT_LEN		32	/* default event text length */
#define BENCH_BATCH		64	/* messages per sendmmsg/recvmmsg */

/* ---- timing (bench_time.c) ---- */

/* CLOCK_MONOTONIC in ns: the clock of the kernel's timestamp_ns. */
uint64_t bench_now_ns(void);
/* CPU time (user + system) this process used so far, in ns. */
uint64_t bench_cpu_ns(void);
/* Times this process went to sleep so far (voluntary context switches):
 * each is a wake-up to come. */
uint64_t bench_sleeps(void);
/* Sleep until the CLOCK_MONOTONIC time t_ns. */
void bench_sleep_until(uint64_t t_ns);

/* SO_RCVTIMEO of fd: how long a blocking receive waits (0: forever). */
void bench_rcvtimeo(int fd, unsigned ms);

/*
 * Sending at a rate: every tick, what is due so far (rate x elapsed),
 * at most chunk at a time.  rate 0: as fast as possible, chunk at a time.
 * A sender that falls behind sends what it can without a burst of
 * catching up sleeps: the achieved rate is what it reports.
 */
struct bench_pacer {
	uint64_t rate;		/* per second, 0 = no pacing */
	uint64_t count;		/* total to send */
	uint64_t chunk;		/* most per step */
	uint64_t tick_ns;
	uint64_t start, next;
	bool behind;		/* the last step was capped by chunk */
};

void bench_pacer_start(struct bench_pacer *p, uint64_t rate, uint64_t count,
		       uint64_t tick_ns, uint64_t chunk);
/* How many to send now, done having been sent so far. */
uint64_t bench_pacer_due(struct bench_pacer *p, uint64_t done);
/* After a step: sleep to the next tick (not when behind or unpaced). */
void bench_pacer_wait(struct bench_pacer *p);

/* End markers: send(ctx) at once, then every half second for end_for
 * seconds (receivers stop at the marker; under overload one may be lost). */
void bench_end_markers(double end_for, void (*send)(void *ctx), void *ctx);

/* SIGTERM/SIGINT set bench_stop (no SA_RESTART: a blocking receive ends),
 * so that a receiver reports what arrived when the harness gives up. */
extern volatile sig_atomic_t bench_stop;
void bench_catch_stop(void);

/* ---- option values and tags (bench_args.c) ---- */

/* Option values; exit(2) with a message on a bad one. */
uint64_t bench_arg_u64(const char *opt, const char *s, uint64_t min,
		       uint64_t max);
double bench_arg_double(const char *opt, const char *s, double min,
			double max);
/* A tag: 1..BENCH_TAG_MAX bytes of [A-Za-z0-9_-]. */
const char *bench_arg_tag(const char *opt, const char *s);

/* TAG, then '.' up to len bytes (len > strlen(tag)); NUL-terminated. */
void bench_make_text(char *buf, size_t len, const char *tag);
/* The tag of an event text: the bytes before the first '.' (or all). */
void bench_tag_of(const char *text, size_t len, char tag[BENCH_TAG_MAX + 1]);

/* ---- receive statistics (bench_stats.c) ---- */

/* Latency samples in ns, kept whole for exact percentiles. */
struct bench_lat {
	int64_t *v;
	size_t n, cap;
};

void bench_lat_add(struct bench_lat *l, int64_t ns);
/* Sorts in place; q in (0, 1]; 0 when empty. */
int64_t bench_lat_quantile(struct bench_lat *l, double q);

/* What one receiver saw of one tag. */
struct bench_tag {
	char tag[BENCH_TAG_MAX + 1];
	uint64_t n;		/* events/datagrams received */
	uint64_t bytes;		/* datagram bytes received */
	uint64_t origin_min;	/* earliest origin time (kernel or sender) */
	uint64_t recv_first;	/* receive stamps of the first and last */
	uint64_t recv_last;
	uint64_t seq_min, seq_max;
	struct bench_lat lat;
};

struct bench_stats {
	bool latency;		/* keep every sample of recv - origin */
	size_t ntags;
	struct bench_tag tags[BENCH_MAX_TAGS];
	struct bench_tag *last;	/* lookup cache: tags come in runs */
	uint64_t untagged;	/* beyond BENCH_MAX_TAGS */
};

/* Account one received event of tag: origin = its kernel/sender time. */
struct bench_tag *bench_stats_add(struct bench_stats *s, const char *tag,
				  uint64_t seq, uint64_t origin_ns,
				  uint64_t recv_ns, size_t bytes);

/*
 * One line per tag on out:
 *   tag=T n=N bytes=B origin_min=NS recv_first=NS recv_last=NS
 *   seq_min=S seq_max=S [p50=NS p99=NS p999=NS max=NS]  (prefixed by what)
 */
void bench_stats_print(FILE *out, const char *what, struct bench_stats *s);

/* ---- event messages (bench_emit.c) and the native source (bench_genl.c) ---- */

/*
 * One mcbridge event message (MCBRIDGE_CMD_EVENT) laid out as the module's
 * mcb_event_fill() lays it out on this machine: seq, timestamp_ns, type,
 * cpu, text (no pad attributes where unaligned 64-bit access is cheap, as
 * nla_put_u64_64bit() decides).  seq, timestamp and type are patched per
 * event.
 */
struct bench_evmsg {
	unsigned char buf[512];
	size_t len;
	size_t off_seq, off_ts, off_type;
};

/* For family_id, with the given text (<= 255 bytes).  Returns 0 or -1. */
int bench_evmsg_build(struct bench_evmsg *m, uint16_t family_id,
		      const char *text);
/* The message with these values at dst (m->len bytes). */
void bench_evmsg_put(const struct bench_evmsg *m, void *dst, uint64_t seq,
		     uint64_t ts_ns, uint32_t type);

/* FAMILY/GROUP to their ids (libnl, the controller).  0, or -1 with the
 * reason on stderr. */
int bench_genl_resolve(const char *family_group, uint16_t *family_id,
		       uint32_t *group_id);

/*
 * The native source: a netlink socket multicasting its own messages to a
 * generic netlink group (needs CAP_NET_ADMIN; run it in a private network
 * namespace, where nobody else sees them).  Up to BENCH_BATCH messages of
 * one event template per sendmmsg().
 */
struct bench_genl_tx {
	int fd;
	struct sockaddr_nl dst;
	struct mmsghdr msgs[BENCH_BATCH];
	struct iovec iov[BENCH_BATCH];
	unsigned char *bufs;
	size_t slot;
};

/* Group ids above 32 cannot be named in nl_groups: -1 then too. */
int bench_genl_tx_open(struct bench_genl_tx *t, uint32_t group_id,
		       size_t slot);
void bench_genl_tx_close(struct bench_genl_tx *t);
/* The i-th message of the next batch (slot bytes). */
static inline void *bench_genl_tx_slot(struct bench_genl_tx *t, unsigned i)
{
	return t->bufs + (size_t)i * t->slot;
}
/* Send messages 0..n-1 of len bytes each.  Returns n, or -errno. */
int bench_genl_tx_send(struct bench_genl_tx *t, unsigned n, size_t len);

/* ---- receiving (bench_recv.c) ---- */

/* n receive slots of slot bytes each, for recvmmsg(), with ctl bytes of
 * control messages each (0: none). */
struct bench_mmsg {
	unsigned n;
	size_t slot, ctl;
	struct mmsghdr *msgs;
	struct iovec *iov;
	unsigned char *bufs;
	unsigned char *cbufs;
};

/* 0, or -1 out of memory (reported). */
int bench_mmsg_init(struct bench_mmsg *m, unsigned n, size_t slot,
		    size_t ctl);
void bench_mmsg_free(struct bench_mmsg *m);
/* One blocking recvmmsg (MSG_WAITFORONE: at least one, then what is
 * queued).  Returns the count, or -errno (-EAGAIN: SO_RCVTIMEO expired). */
int bench_mmsg_recv(struct bench_mmsg *m, int fd);
static inline const unsigned char *bench_mmsg_buf(const struct bench_mmsg *m,
						  unsigned i)
{
	return m->iov[i].iov_base;
}

#endif
