/* SPDX-License-Identifier: MIT */
/*
 * mcb-nats-bench: the NATS side of the forwarder's benchmark
 * (bench/nats_bench.py).
 *
 *   mcb-nats-bench pub --server URL --subject S --count N [--stream ST]
 *                      [--window W] [--pad BYTES] [--rate R]
 *     The baseline: N messages shaped like the forwarder's (the JSON of a
 *     bridged ethtool event with the number and the send time in attributes
 *     100 and 101), straight to core NATS, or to JetStream stream ST as
 *     asynchronous publishes with Nats-Msg-Id, at most W unacknowledged;
 *     R a second (0, the default: as fast as it goes).
 *     Prints "pub count=N elapsed_ns=E cpu_ns=C".
 *
 *   mcb-nats-bench sub --server URL --subject S --count N [--stream ST]
 *                      [--count-only]
 *     Receives N events (core NATS, or new messages of stream ST through
 *     an ordered consumer), decodes each with libmcbridge-client, and
 *     measures now - attribute 101 (CLOCK_MONOTONIC of the emitter or the
 *     publisher: one host); --count-only: only counts (for throughput,
 *     so that decoding does not limit it).  Prints "sub ready" on stderr once subscribed,
 *     then "sub count=N first_ns=F last_ns=L lat_p50_ns=.. lat_p99_ns=..
 *     lat_max_ns=.. bad=N".
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "mcbridge_client.h"

#define ATTR_TIME	101

struct opts {
	const char *server, *subject, *stream;
	long count, window, pad, rate;
	int count_only;
};

struct sub_state {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long count, got, bad;
	int count_only;
	uint64_t first, last;
	struct mcb_latency lat;
	struct mcb_event ev;
};

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, natsStatus s)
{
	fprintf(stderr, "mcb-nats-bench: %s: %s\n", what,
		nats_GetLastError(NULL) ? nats_GetLastError(NULL) :
		natsStatus_GetText(s));
	exit(1);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m,
		   void *closure)
{
	struct sub_state *st = closure;
	uint64_t t = now_ns(CLOCK_MONOTONIC), sent = 0;

	(void)nc;
	(void)sub;
	pthread_mutex_lock(&st->mu);
	if (st->count_only) {
		sent = t;
		st->ev.kind = MCB_KIND_EVENT;
	} else if (mcb_decode(natsMsg_GetData(m),
			      (size_t)natsMsg_GetDataLength(m), MCB_FMT_AUTO,
			      &st->ev) == MCB_OK) {
		for (unsigned i = 0; i < st->ev.nattrs; i++)
			if (st->ev.attrs[i].type == ATTR_TIME)
				sent = st->ev.attrs[i].num;
	}
	if (!sent || st->ev.kind != MCB_KIND_EVENT) {
		st->bad++;
	} else if (st->got < st->count) {
		if (!st->got++)
			st->first = t;
		st->last = t;
		mcb_lat_add(&st->lat, (int64_t)(t - sent));
		if (st->got == st->count)
			pthread_cond_signal(&st->cv);
	}
	pthread_mutex_unlock(&st->mu);
	natsMsg_Destroy(m);
}

static int run_sub(natsConnection *nc, const struct opts *o)
{
	struct sub_state *st = calloc(1, sizeof(*st));
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	jsSubOptions so;
	jsErrCode jerr;
	natsStatus s;

	if (!st)
		return 1;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	mcb_lat_init(&st->lat);
	st->count = o->count;
	st->count_only = o->count_only;
	if (o->stream) {
		jsSubOptions_Init(&so);
		so.Stream = o->stream;
		so.Ordered = true;
		so.Config.DeliverPolicy = js_DeliverNew;
		s = natsConnection_JetStream(&js, nc, NULL);
		if (s == NATS_OK)
			s = js_Subscribe(&sub, js, o->subject, on_msg, st, NULL,
					 &so, &jerr);
	} else {
		s = natsConnection_Subscribe(&sub, nc, o->subject, on_msg, st);
	}
	if (s == NATS_OK)
		s = natsConnection_Flush(nc);
	if (s != NATS_OK)
		die("subscribe", s);
	fprintf(stderr, "sub ready\n");
	pthread_mutex_lock(&st->mu);
	while (st->got < st->count)
		pthread_cond_wait(&st->cv, &st->mu);
	pthread_mutex_unlock(&st->mu);
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	printf("sub count=%ld first_ns=%" PRIu64 " last_ns=%" PRIu64
	       " lat_p50_ns=%" PRIu64 " lat_p99_ns=%" PRIu64 " lat_max_ns=%"
	       PRIu64 " bad=%ld\n", st->got, st->first, st->last,
	       mcb_lat_quantile(&st->lat, 0.5), mcb_lat_quantile(&st->lat, 0.99),
	       st->lat.max, st->bad);
	free(st);
	return 0;
}

static int run_pub(natsConnection *nc, const struct opts *o)
{
	char pad[4096], data[8192], id[300];
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	uint64_t c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	jsCtx *js = NULL;
	jsOptions jo;
	natsStatus s = NATS_OK;

	memset(pad, 'x', (size_t)o->pad);
	pad[o->pad] = '\0';
	if (o->stream) {
		jsOptions_Init(&jo);
		jo.PublishAsync.MaxPending = o->window;
		/* A loaded machine acknowledges slowly: wait, do not fail. */
		jo.PublishAsync.StallWait = 30000;
		s = natsConnection_JetStream(&js, nc, &jo);
		if (s != NATS_OK)
			die("JetStream", s);
	}
	for (long i = 1; i <= o->count && s == NATS_OK; i++) {
		int n;

		/* Paced: message i is due at i / rate seconds. */
		while (o->rate && (double)(now_ns(CLOCK_MONOTONIC) - t0) <
		       (double)(i - 1) * 1e9 / (double)o->rate) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
		}
		n = snprintf(data, sizeof(data),
			"{\"kind\":\"event\",\"family\":\"ethtool\",\"group\":"
			"\"monitor\",\"cmd\":\"13\",\"cmd_id\":13,\"bridge_seq\":%ld,"
			"\"bridge_time_ns\":%" PRIu64 ",\"bridge_run\":1,\"attrs\":"
			"[{\"type\":100,\"len\":8,\"u64\":%ld},{\"type\":101,\"len\":"
			"8,\"u64\":%" PRIu64 "},{\"type\":102,\"len\":%ld,\"str\":"
			"\"%s\"}]}\n", i, now_ns(CLOCK_MONOTONIC), i,
			now_ns(CLOCK_MONOTONIC), o->pad + 1, pad);
		natsMsg *m = NULL;

		if (!js) {
			s = natsConnection_Publish(nc, o->subject, data, n);
			continue;
		}
		/* Unique per run: the stream drops an id it has seen. */
		snprintf(id, sizeof(id), "%.200s/%ld", o->subject, i);
		s = natsMsg_Create(&m, o->subject, NULL, data, n);
		if (s == NATS_OK)
			s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		if (s == NATS_OK)
			s = js_PublishMsgAsync(js, &m, NULL);
		natsMsg_Destroy(m);
	}
	if (s == NATS_OK)
		s = js ? js_PublishAsyncComplete(js, NULL) :
			 natsConnection_Flush(nc);
	if (s != NATS_OK)
		die("publish", s);
	printf("pub count=%ld elapsed_ns=%" PRIu64 " cpu_ns=%" PRIu64 "\n",
	       o->count, now_ns(CLOCK_MONOTONIC) - t0,
	       now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0);
	jsCtx_Destroy(js);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "subject", required_argument, NULL, 'S' },
		{ "stream", required_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "pad", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count-only", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { "nats://127.0.0.1:4222", "bench.x", NULL, 1000,
			  256, 64, 0, 0 };
	natsConnection *nc = NULL;
	natsStatus s;
	int c, rc;

	if (argc < 2 || (strcmp(argv[1], "pub") && strcmp(argv[1], "sub"))) {
		fprintf(stderr, "usage: mcb-nats-bench pub|sub [options]\n");
		return 2;
	}
	while ((c = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.server = optarg; break;
		case 'S': o.subject = optarg; break;
		case 'j': o.stream = optarg; break;
		case 'n': o.count = atol(optarg); break;
		case 'w': o.window = atol(optarg); break;
		case 'p': o.pad = atol(optarg); break;
		case 'r': o.rate = atol(optarg); break;
		case 'c': o.count_only = 1; break;
		default: return 2;
		}
	}
	if (o.count < 1 || o.window < 1 || o.pad < 0 || o.pad > 4000 ||
	    o.rate < 0)
		return 2;
	s = natsConnection_ConnectTo(&nc, o.server);
	if (s != NATS_OK)
		die(o.server, s);
	rc = argv[1][0] == 'p' ? run_pub(nc, &o) : run_sub(nc, &o);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
