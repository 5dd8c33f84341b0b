/* SPDX-License-Identifier: MIT */
/*
 * mcbridge-nats sub: print what forwarders publish, in mcbridge-listen's
 * formats (the library's renderers) with the host added.  Core NATS, or a
 * JetStream stream replayed from its first message (an ordered consumer).
 *
 * Messages arrive on the client's delivery thread, which decodes and
 * prints them; the main thread waits for signals, the count or the
 * deadline.  What they share is under a mutex.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "lib/clock.h"
#include "link.h"
#include "sub.h"

#define TAG		MCBN_NAME " sub: "
#define BAD_SHOW	120	/* bytes of a bad payload shown */
#define BAD_LINES	10	/* bad payloads reported per second */

struct sub {
	const struct mcbn_sub_opts *o;
	struct mcbn_link *link;
	pthread_mutex_t mu;
	uint64_t received, printed, bad;
	uint64_t bad_period, bad_shown;
	bool done, out_failed;
	struct mcb_event ev;
};

/* The host a message names: the forwarder's header, else "?". */
static const char *host_of(natsMsg *msg)
{
	const char *host = NULL;

	if (natsMsgHeader_Get(msg, "Mcb-Host", &host) != NATS_OK || !host)
		return "?";
	return host;
}

static void bad(struct sub *s, natsMsg *msg, enum mcb_err err)
{
	uint64_t now = mcb_now_ns();

	s->bad++;
	if (now - s->bad_period >= 1000000000u) {
		s->bad_period = now;
		s->bad_shown = 0;
	}
	if (s->bad_shown++ >= BAD_LINES)
		return;
	fprintf(stderr, TAG "not an mcbridge event on ");
	mcb_print_raw(stderr, natsMsg_GetSubject(msg),
		      strlen(natsMsg_GetSubject(msg)), BAD_SHOW);
	fprintf(stderr, ", %d bytes, %s: ", natsMsg_GetDataLength(msg),
		mcb_strerror(err));
	mcb_print_raw(stderr, natsMsg_GetData(msg),
		      (size_t)natsMsg_GetDataLength(msg), BAD_SHOW);
	putc('\n', stderr);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
		   void *closure)
{
	struct sub *s = closure;
	struct mcb_render_extra extra = { 0 };
	enum mcb_err err;
	bool wake = false;

	(void)nc;
	(void)sub;
	pthread_mutex_lock(&s->mu);
	if (s->done)
		goto out;
	s->received++;
	err = mcb_decode(natsMsg_GetData(msg),
			 (size_t)natsMsg_GetDataLength(msg), MCB_FMT_AUTO,
			 &s->ev);
	if (err) {
		bad(s, msg, err);
		goto out;
	}
	extra.host = host_of(msg);
	if (s->o->human)
		mcb_render_human(stdout, &s->ev, &extra);
	else
		mcb_render_json(stdout, &s->ev, &extra);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		s->out_failed = true;
		s->done = wake = true;
		goto out;
	}
	s->printed++;
	if (s->o->count && s->printed >= s->o->count)
		s->done = wake = true;
out:
	pthread_mutex_unlock(&s->mu);
	natsMsg_Destroy(msg);
	if (wake)
		mcbn_link_wake(s->link);
}

static int subscribe(struct sub *s, jsCtx **js, natsSubscription **sub)
{
	const struct mcbn_sub_opts *o = s->o;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus st;

	if (!o->stream)
		st = natsConnection_Subscribe(sub, s->link->nc, o->subject,
					      on_msg, s);
	else {
		st = natsConnection_JetStream(js, s->link->nc, NULL);
		if (st == NATS_OK) {
			jsSubOptions_Init(&so);
			so.Stream = o->stream;
			so.Ordered = true;
			so.Config.DeliverPolicy = js_DeliverAll;
			st = js_Subscribe(sub, *js, o->subject, on_msg, s, NULL,
					  &so, &jerr);
		}
	}
	if (st != NATS_OK) {
		fprintf(stderr, TAG "subscribe to %s%s%s: %s\n", o->subject,
			o->stream ? " in stream " : "",
			o->stream ? o->stream : "",
			nats_GetLastError(NULL) ? nats_GetLastError(NULL) :
			natsStatus_GetText(st));
		return -EIO;
	}
	return 0;
}

/* Until a stop signal, the count or the deadline.  0 or -errno. */
static int wait_done(struct sub *s, int sigfd)
{
	uint64_t deadline = s->o->timeout_s ?
		mcb_now_ns() + s->o->timeout_s * 1000000000u : 0;
	struct pollfd p[2] = {
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = s->link->wakefd, .events = POLLIN },
	};

	for (;;) {
		uint64_t now = mcb_now_ns();
		int ms = -1, n;
		bool done;

		pthread_mutex_lock(&s->mu);
		done = s->done;
		pthread_mutex_unlock(&s->mu);
		if (done)
			return 0;
		if (deadline) {
			if (now >= deadline)
				return 0;
			ms = (int)((deadline - now + 999999) / 1000000);
		}
		n = poll(p, 2, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (p[0].revents & POLLIN))
			return 0;	/* SIGINT or SIGTERM */
		if (n > 0 && (p[1].revents & POLLIN) &&
		    mcbn_link_clear_wake(s->link) < 0)
			return -EIO;
		/* Closed for good (the servers went away): nothing more. */
		if (natsConnection_Status(s->link->nc) ==
		    NATS_CONN_STATUS_CLOSED) {
			fprintf(stderr, TAG "connection closed\n");
			return -ENOTCONN;
		}
	}
}

int mcbn_sub_run(const struct mcbn_sub_opts *o)
{
	struct mcb_log lg;
	struct mcbn_link link;
	struct sub *s = calloc(1, sizeof(*s));
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	sigset_t sigs;
	char why[512], url[256];
	int sigfd, err;

	if (!s) {
		fprintf(stderr, TAG "out of memory\n");
		return -ENOMEM;
	}
	s->o = o;
	s->link = &link;
	err = pthread_mutex_init(&s->mu, NULL);
	if (err) {
		fprintf(stderr, TAG "mutex: %s\n", strerror(err));
		free(s);
		return -err;
	}
	mcb_log_open(&lg, MCBN_NAME " sub", false, false);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		err = -errno;
		fprintf(stderr, TAG "signalfd: %s\n", strerror(-err));
		pthread_mutex_destroy(&s->mu);
		free(s);
		return err;
	}
	err = mcbn_link_open(&link, &o->conn, o->conn.name ? o->conn.name :
			     MCBN_NAME " sub", 0, false, &lg, why,
			     sizeof(why));
	if (err)
		fprintf(stderr, TAG "NATS: %s\n", why);
	if (err == 0)
		err = subscribe(s, &js, &sub);
	if (err == 0) {
		fprintf(stderr, TAG "subscribed to %s%s%s on %s\n", o->subject,
			o->stream ? " in stream " : "",
			o->stream ? o->stream : "",
			mcbn_link_url(&link, url, sizeof(url)));
		err = wait_done(s, sigfd);
	}
	if (sub) {
		/* No callback after this: then the counts are final. */
		natsSubscription_Unsubscribe(sub);
		natsSubscription_Destroy(sub);
	}
	pthread_mutex_lock(&s->mu);
	s->done = true;
	pthread_mutex_unlock(&s->mu);
	jsCtx_Destroy(js);
	mcbn_link_close(&link);
	pthread_mutex_lock(&s->mu);
	if (s->out_failed && err == 0) {
		fprintf(stderr, TAG "writing output: %s\n", strerror(errno));
		err = -EIO;
	}
	fprintf(stderr, TAG "summary: received=%" PRIu64 " printed=%" PRIu64
		" bad=%" PRIu64 "\n", s->received, s->printed, s->bad);
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_destroy(&s->mu);
	if (close(sigfd) < 0 && err == 0)
		err = -errno;
	free(s);
	return err;
}
