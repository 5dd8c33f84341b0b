// SPDX-License-Identifier: MIT
/*
 * mcb-pace: a steady event stream for the soak test.  Sends an EMIT of
 * --batch events every --interval-ms, on absolute deadlines (no drift), for
 * --seconds, and waits for each reply, so the kernel has sent a batch
 * before the next is due.  One process for the whole run: spawning
 * mcbridge-ctl per batch costs more than the batch under emulation.
 *
 *   mcb-pace --seconds S [--batch N] [--interval-ms MS] [--text T]
 *
 * Prints "paced EVENTS events in MS ms (RATE/s), late BATCHES" where late
 * counts batches that started after their deadline had passed by more than
 * one interval.  Exit 1 if an EMIT failed or emitted fewer than asked.
 */
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/mcbridge.h>

static uint32_t emitted;
static bool replied;

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];

	(void)arg;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MCBRIDGE_ATTR_MAX, NULL) == 0 &&
	    tb[MCBRIDGE_ATTR_EMITTED])
		emitted = nla_get_u32(tb[MCBRIDGE_ATTR_EMITTED]);
	replied = true;
	return NL_OK;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "text", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seconds = 0, interval_ms = 100, total = 0, late = 0;
	uint64_t start, end, next;
	uint32_t batch = 1000;
	const char *text = "soak";
	struct nl_sock *sk;
	int family, opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': seconds = strtoull(optarg, NULL, 10); break;
		case 'b': batch = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'i': interval_ms = strtoull(optarg, NULL, 10); break;
		case 't': text = optarg; break;
		default:
			fputs("usage: mcb-pace --seconds S [--batch N] "
			      "[--interval-ms MS] [--text T]\n", stderr);
			return 2;
		}
	}
	if (!seconds || !batch || !interval_ms)
		return 2;
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) < 0 ||
	    (family = genl_ctrl_resolve(sk, MCBRIDGE_GENL_NAME)) < 0) {
		fputs("mcb-pace: family mcbridge not found\n", stderr);
		return 1;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_reply, NULL);
	/* libnl expects the next seq only after an ack, and we take none. */
	nl_socket_disable_seq_check(sk);

	start = next = now_ns();
	end = start + seconds * 1000000000u;
	while (next < end) {
		struct timespec ts = { .tv_sec = (time_t)(next / 1000000000u),
				       .tv_nsec = (long)(next % 1000000000u) };
		struct nl_msg *msg = nlmsg_alloc();
		int err;

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (now_ns() > next + interval_ms * 1000000u)
			late++;
		emitted = 0;
		if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family,
					 0, 0, MCBRIDGE_CMD_EMIT,
					 MCBRIDGE_GENL_VERSION) ||
		    nla_put_string(msg, MCBRIDGE_ATTR_TEXT, text) ||
		    nla_put_u32(msg, MCBRIDGE_ATTR_COUNT, batch)) {
			fputs("mcb-pace: cannot build request\n", stderr);
			return 1;
		}
		err = nl_send_auto(sk, msg);
		nlmsg_free(msg);
		/* Until the reply: an ack left over from resolving the
		 * family may come first; an error reply ends it too. */
		replied = false;
		while (err >= 0 && !replied)
			err = nl_recvmsgs_default(sk);
		if (err < 0 || emitted != batch) {
			fprintf(stderr, "mcb-pace: emit: %s, %" PRIu32 " of %"
				PRIu32 " emitted\n", nl_geterror(err), emitted,
				batch);
			printf("paced %" PRIu64 " events\n", total);
			return 1;
		}
		total += batch;
		next += interval_ms * 1000000u;
	}
	end = now_ns();
	printf("paced %" PRIu64 " events in %" PRIu64 " ms (%" PRIu64
	       "/s), late %" PRIu64 "\n", total, (end - start) / 1000000u,
	       total * 1000000000u / (end - start), late);
	nl_socket_free(sk);
	return 0;
}
