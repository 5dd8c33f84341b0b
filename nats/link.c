/* SPDX-License-Identifier: MIT */
/* The NATS connection (link.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "lib/clock.h"
#include "link.h"
#include "url.h"

uint64_t mcbn_backoff_ms(unsigned attempt, uint64_t min, uint64_t max,
			 uint64_t seed)
{
	uint64_t d = min;

	for (unsigned i = 0; i < attempt && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* Spread: many forwarders must not come back in step. */
	d = d - d / 4 + seed % (d / 2 + 1);
	return d ? d : 1;
}

void mcbn_link_wake(struct mcbn_link *l)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is at its limit, the loop will look anyway. */
	if (write(l->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		pthread_mutex_lock(&l->mu);
		l->counts.wake_errors++;
		pthread_mutex_unlock(&l->mu);
	}
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct mcbn_link *l = closure;

	(void)nc;
	pthread_mutex_lock(&l->mu);
	l->counts.disconnects++;
	pthread_mutex_unlock(&l->mu);
	mcbn_link_wake(l);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct mcbn_link *l = closure;

	(void)nc;
	pthread_mutex_lock(&l->mu);
	l->counts.reconnects++;
	pthread_mutex_unlock(&l->mu);
	mcbn_link_wake(l);
}

/* Connected after a failed first attempt, or closed: the loop looks. */
static void on_state(natsConnection *nc, void *closure)
{
	(void)nc;
	mcbn_link_wake(closure);
}

static void on_async_error(natsConnection *nc, natsSubscription *sub,
			   natsStatus err, void *closure)
{
	struct mcbn_link *l = closure;

	(void)nc;
	(void)sub;
	pthread_mutex_lock(&l->mu);
	l->counts.async_errors++;
	l->counts.last_async_error = err;
	pthread_mutex_unlock(&l->mu);
	mcbn_link_wake(l);
}

static int64_t reconnect_delay(natsConnection *nc, int attempts,
			       void *closure)
{
	struct mcbn_link *l = closure;

	(void)nc;
	return (int64_t)mcbn_backoff_ms(attempts > 0 ? (unsigned)attempts - 1
					: 0, l->backoff_min_ms,
					l->backoff_max_ms, mcb_now_ns());
}

/* INBOX.<lseq>: the record this reply is for, or false. */
static bool reply_lseq(const struct mcbn_link *l, const char *subj,
		       uint64_t *lseq)
{
	uint64_t v = 0;
	const char *p;

	if (!subj || strncmp(subj, l->inbox, l->inbox_len) ||
	    subj[l->inbox_len] != '.')
		return false;
	p = subj + l->inbox_len + 1;
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*lseq = v;
	return true;
}

static void on_ack(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
		   void *closure)
{
	struct mcbn_link *l = closure;
	struct mcbn_puback pa;
	struct mcbn_ack a = { 0 };

	(void)nc;
	(void)sub;
	if (!reply_lseq(l, natsMsg_GetSubject(msg), &a.lseq)) {
		natsMsg_Destroy(msg);
		return;
	}
	if (natsMsg_IsNoResponders(msg)) {
		a.no_responders = true;
		a.kind = MCBN_ACK_ERROR;
		a.code = 503;
		snprintf(a.text, sizeof(a.text), "no responders");
	} else {
		mcbn_puback_parse(natsMsg_GetData(msg),
				  (size_t)natsMsg_GetDataLength(msg), &pa);
		a.kind = pa.kind;
		a.stream_seq = pa.seq;
		a.code = pa.code;
		a.err_code = pa.err_code;
		snprintf(a.text, sizeof(a.text), "%.*s",
			 (int)sizeof(a.text) - 1, pa.text);
	}
	natsMsg_Destroy(msg);
	pthread_mutex_lock(&l->mu);
	if (l->qlen < l->qcap) {
		l->q[(l->qhead + l->qlen) % l->qcap] = a;
		l->qlen++;
	} else {
		/* The record times out and goes again: no loss, a
		 * duplicate at worst, which the stream drops. */
		l->counts.acks_dropped++;
	}
	pthread_mutex_unlock(&l->mu);
	mcbn_link_wake(l);
}

unsigned mcbn_link_take_acks(struct mcbn_link *l, struct mcbn_ack *out,
			     unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&l->mu);
	while (n < max && l->qlen) {
		out[n++] = l->q[l->qhead];
		l->qhead = (l->qhead + 1) % l->qcap;
		l->qlen--;
	}
	pthread_mutex_unlock(&l->mu);
	return n;
}

int mcbn_link_clear_wake(struct mcbn_link *l)
{
	uint64_t v;

	if (read(l->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

void mcbn_link_get_counts(struct mcbn_link *l, struct mcbn_link_counts *c)
{
	pthread_mutex_lock(&l->mu);
	*c = l->counts;
	pthread_mutex_unlock(&l->mu);
}

bool mcbn_link_connected(const struct mcbn_link *l)
{
	return l->nc &&
	       natsConnection_Status(l->nc) == NATS_CONN_STATUS_CONNECTED;
}

const char *mcbn_link_url(const struct mcbn_link *l, char *buf, size_t n)
{
	if (!l->nc || natsConnection_GetConnectedUrl(l->nc, buf, n) !=
	    NATS_OK || !buf[0])
		snprintf(buf, n, "-");
	return buf;
}

void mcbn_link_reply(const struct mcbn_link *l, uint64_t lseq, char *buf,
		     size_t n)
{
	snprintf(buf, n, "%s.%" PRIu64, l->inbox, lseq);
}

/* The client takes a list as an array (a comma in a URL given to
 * natsOptions_SetURL is not a separator). */
static natsStatus set_servers(natsOptions *o, const char *list)
{
	char buf[4096], *save = NULL, *tok;
	const char *urls[MCBN_MAX_SERVERS];
	int n = 0;

	if (strlen(list) >= sizeof(buf))
		return NATS_INVALID_ARG;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok && n < MCBN_MAX_SERVERS;
	     tok = strtok_r(NULL, ",", &save))
		urls[n++] = tok;
	return natsOptions_SetServers(o, urls, n);
}

/* One client setting, unless an earlier one failed; what names it. */
#define TRY(name, call)						\
	do {							\
		if (s == NATS_OK) {				\
			what = (name);				\
			s = (call);				\
		}						\
	} while (0)

/* The client's options from ours.  A file the client cannot use is a
 * setting error: the library's own message goes to why. */
static int set_options(struct mcbn_link *l, const struct mcbn_conn_opts *c,
		       const char *conn_name, bool retry_connect, char *why,
		       size_t why_size)
{
	natsOptions *o = l->opts;
	natsStatus s = NATS_OK;
	const char *what = "options", *text;

	TRY("--server", set_servers(o, c->servers));
	TRY("--name", natsOptions_SetName(o, conn_name));
	if (c->tls)
		TRY("--tls", natsOptions_SetSecure(o, true));
	if (c->tls_ca)
		TRY("--tls-ca", natsOptions_LoadCATrustedCertificates(o,
								    c->tls_ca));
	if (c->tls_cert)
		TRY("--tls-cert/--tls-key",
		    natsOptions_LoadCertificatesChain(o, c->tls_cert,
						      c->tls_key));
	if (c->tls_hostname)
		TRY("--tls-hostname",
		    natsOptions_SetExpectedHostname(o, c->tls_hostname));
	if (c->creds)
		TRY("--creds",
		    natsOptions_SetUserCredentialsFromFiles(o, c->creds, NULL));
	if (c->nkey)
		TRY("--nkey/--nkey-seed",
		    natsOptions_SetNKeyFromSeed(o, c->nkey, c->nkey_seed));
	/* Reconnect for ever, with our back-off.  What is published while
	 * away is the forwarder's to hold, so the client's own buffer for
	 * that only covers the instant before a loss is noticed. */
	TRY("reconnect", natsOptions_SetMaxReconnect(o, -1));
	TRY("reconnect", natsOptions_SetCustomReconnectDelay(o, reconnect_delay,
							      l));
	TRY("reconnect", natsOptions_SetReconnectBufSize(o, 1 << 20));
	TRY("callbacks", natsOptions_SetDisconnectedCB(o, on_disconnected, l));
	TRY("callbacks", natsOptions_SetReconnectedCB(o, on_reconnected, l));
	TRY("callbacks", natsOptions_SetClosedCB(o, on_state, l));
	TRY("callbacks", natsOptions_SetErrorHandler(o, on_async_error, l));
	if (retry_connect)
		TRY("reconnect", natsOptions_SetRetryOnFailedConnect(o, true,
								     on_state,
								     l));
	if (s == NATS_OK)
		return 0;
	text = nats_GetLastError(NULL);
	snprintf(why, why_size, "%s: %s", what, text ? text :
		 natsStatus_GetText(s));
	return -EINVAL;
}

#undef TRY

static int subscribe_acks(struct mcbn_link *l, unsigned ack_queue,
			  char *why, size_t why_size)
{
	char *inbox = NULL, subj[80];
	natsStatus s;

	l->q = calloc(ack_queue, sizeof(*l->q));
	if (!l->q)
		return -ENOMEM;
	l->qcap = ack_queue;
	s = natsInbox_Create(&inbox);
	if (s == NATS_OK) {
		snprintf(l->inbox, sizeof(l->inbox), "%s", inbox);
		l->inbox_len = strlen(l->inbox);
		natsInbox_Destroy(inbox);
		snprintf(subj, sizeof(subj), "%s.*", l->inbox);
		s = natsConnection_Subscribe(&l->acksub, l->nc, subj, on_ack,
					     l);
	}
	if (s != NATS_OK) {
		snprintf(why, why_size, "acknowledgement subscription: %s",
			 natsStatus_GetText(s));
		return -EIO;
	}
	return 0;
}

int mcbn_link_open(struct mcbn_link *l, const struct mcbn_conn_opts *c,
		   const char *conn_name, unsigned ack_queue,
		   bool retry_connect, const struct mcb_log *lg, char *why,
		   size_t why_size)
{
	natsStatus s;
	int err;

	memset(l, 0, sizeof(*l));
	l->log = lg;
	l->conn = c;
	snprintf(l->conn_name, sizeof(l->conn_name), "%s", conn_name);
	l->backoff_min_ms = c->reconnect_min_ms;
	l->backoff_max_ms = c->reconnect_max_ms;
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd < 0) {
		err = -errno;
		snprintf(why, why_size, "eventfd: %s", strerror(-err));
		return err;
	}
	err = pthread_mutex_init(&l->mu, NULL);
	if (err) {
		close(l->wakefd);
		l->wakefd = -1;
		snprintf(why, why_size, "mutex: %s", strerror(err));
		return -err;
	}
	if (natsOptions_Create(&l->opts) != NATS_OK) {
		snprintf(why, why_size, "options: out of memory");
		return -ENOMEM;
	}
	err = set_options(l, c, conn_name, retry_connect, why, why_size);
	if (err)
		return err;
	s = natsConnection_Connect(&l->nc, l->opts);
	if (s != NATS_OK && !(retry_connect && s == NATS_NOT_YET_CONNECTED)) {
		snprintf(why, why_size, "%s: %s", c->servers,
			 nats_GetLastError(NULL) ? nats_GetLastError(NULL) :
			 natsStatus_GetText(s));
		return -ECONNREFUSED;
	}
	return ack_queue ? subscribe_acks(l, ack_queue, why, why_size) : 0;
}

void mcbn_link_close(struct mcbn_link *l)
{
	if (l->acksub)
		natsSubscription_Destroy(l->acksub);
	if (l->nc) {
		natsConnection_Close(l->nc);
		natsConnection_Destroy(l->nc);
	}
	/* The client's threads may still be in a callback with l: wait for
	 * them all to end (one connection per program) before freeing. */
	if (l->opts) {
		natsOptions_Destroy(l->opts);
		if (nats_CloseAndWait(5000) != NATS_OK)
			mcb_log(l->log, LOG_WARNING, "NATS client threads "
				"still running at exit");
	}
	free(l->q);
	if (l->wakefd >= 0) {
		if (close(l->wakefd) < 0)
			mcb_log(l->log, LOG_DEBUG, "close eventfd: %s",
				strerror(errno));
		pthread_mutex_destroy(&l->mu);
	}
	memset(l, 0, sizeof(*l));
	l->wakefd = -1;
}

void mcbn_link_why_closed(struct mcbn_link *l, char *buf, size_t size)
{
	natsOptions *keep = l->opts;
	natsConnection *nc = NULL;
	const char *text = NULL;
	natsStatus s;

	/* The client closes with "no server available" whatever the
	 * servers said; one attempt in the foreground has their answer
	 * (an authorization refused, say). */
	snprintf(buf, size, "no more reconnects");
	if (natsOptions_Create(&l->opts) != NATS_OK) {
		l->opts = keep;
		return;
	}
	if (set_options(l, l->conn, l->conn_name, false, buf, size) == 0 &&
	    natsOptions_SetTimeout(l->opts, 2000) == NATS_OK) {
		s = natsConnection_Connect(&nc, l->opts);
		if (s != NATS_OK)
			text = nats_GetLastError(NULL);
		if (text && *text)
			snprintf(buf, size, "%s", text);
		else if (s == NATS_OK)
			snprintf(buf, size, "closed, though a new connection "
				 "works");
		else
			snprintf(buf, size, "%s", natsStatus_GetText(s));
	}
	if (nc) {
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
	}
	natsOptions_Destroy(l->opts);
	l->opts = keep;
}
