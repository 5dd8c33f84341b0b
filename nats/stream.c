/* SPDX-License-Identifier: MIT */
/*
 * The JetStream stream the forwarder publishes into: created when missing
 * (unless --no-create), checked when it exists.  A stream that does not
 * store the forwarder's subjects, or whose replicas or retention differ
 * from what was asked for, is a setting that cannot work; a cluster that
 * cannot answer yet (no leader, no quorum, timeout) is tried again later.
 */
#include <errno.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stream.h"
#include "subject.h"

#define NS_PER_S	1000000000LL

static const char *const retention_str[] = {
	[js_LimitsPolicy] = "limits",
	[js_InterestPolicy] = "interest",
	[js_WorkQueuePolicy] = "workqueue",
};

static const char *retention_name(jsRetentionPolicy r)
{
	return (unsigned)r < sizeof(retention_str) / sizeof(retention_str[0]) ?
	       retention_str[r] : "?";
}

/* What the settings say about an existing stream: 0 or -EINVAL. */
static int check(const jsStreamConfig *sc, const struct mcbn_fwd_opts *o,
		 const char *pattern, char *why, size_t why_size)
{
	bool covered = false;

	for (int i = 0; i < sc->SubjectsLen && !covered; i++)
		covered = mcbn_subject_covers(sc->Subjects[i], pattern);
	if (!covered) {
		snprintf(why, why_size, "stream %s does not store %s (its "
			 "subjects: %s%s)", o->stream, pattern,
			 sc->SubjectsLen ? sc->Subjects[0] : "none",
			 sc->SubjectsLen > 1 ? ", ..." : "");
		return -EINVAL;
	}
	if (o->replicas && (uint64_t)sc->Replicas != o->replicas) {
		snprintf(why, why_size, "stream %s has %" PRId64 " replica(s), "
			 "not %" PRIu64, o->stream, sc->Replicas, o->replicas);
		return -EINVAL;
	}
	if (o->retention &&
	    sc->Retention != (jsRetentionPolicy)(o->retention - 1)) {
		snprintf(why, why_size, "stream %s has %s retention, not %s",
			 o->stream, retention_name(sc->Retention),
			 retention_name((jsRetentionPolicy)(o->retention - 1)));
		return -EINVAL;
	}
	return 0;
}

/* JetStream's answers that no retry changes. */
static bool config_error(jsErrCode e)
{
	return e == JSStreamInvalidConfig || e == JSStreamSubjectOverlapErr ||
	       e == JSStreamReplicasNotSupportedErr;
}

static int failed(natsStatus s, jsErrCode jerr, const char *what,
		  char *why, size_t why_size)
{
	const char *text = nats_GetLastError(NULL);

	snprintf(why, why_size, "%s: %s (%s, JetStream error %d)", what,
		 text ? text : natsStatus_GetText(s), natsStatus_GetText(s),
		 (int)jerr);
	return config_error(jerr) ? -EINVAL : -EAGAIN;
}

static int create(jsCtx *js, const struct mcbn_fwd_opts *o,
		  const char *subjects, char *why, size_t why_size)
{
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	const char *subj[1] = { subjects };
	natsStatus s;

	jsStreamConfig_Init(&sc);
	sc.Name = o->stream;
	sc.Description = "mcbridge events (mcbridge-nats)";
	sc.Subjects = subj;
	sc.SubjectsLen = 1;
	sc.Replicas = o->replicas ? (int64_t)o->replicas : 1;
	if (o->retention)
		sc.Retention = (jsRetentionPolicy)(o->retention - 1);
	if (o->storage)
		sc.Storage = (jsStorageType)(o->storage - 1);
	sc.MaxAge = (int64_t)o->max_age_s * NS_PER_S;
	if (o->max_bytes)
		sc.MaxBytes = (int64_t)o->max_bytes;
	sc.Duplicates = (int64_t)o->dup_window_s * NS_PER_S;
	s = js_AddStream(&si, js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return 0;
	if (jerr == JSStreamNameExistErr)
		return -EEXIST;	/* another forwarder was first */
	return failed(s, jerr, "creating the stream", why, why_size);
}

/* A JetStream context whose requests wait --ack-wait.  0 or -EAGAIN. */
static int js_context(natsConnection *nc, const struct mcbn_fwd_opts *o,
		      jsCtx **js, char *why, size_t why_size)
{
	jsOptions jo;

	jsOptions_Init(&jo);
	jo.Wait = (int64_t)o->ack_wait_ms;
	if (natsConnection_JetStream(js, nc, &jo) == NATS_OK)
		return 0;
	snprintf(why, why_size, "JetStream context: %s",
		 nats_GetLastError(NULL));
	return -EAGAIN;
}

int mcbn_stream_ensure(natsConnection *nc, const struct mcbn_fwd_opts *o,
		       const char *pattern, bool *created, char *why,
		       size_t why_size)
{
	char subjects[MCBN_PREFIX_MAX + 3];
	jsCtx *js = NULL;
	int err = -EAGAIN;

	*created = false;
	snprintf(subjects, sizeof(subjects), "%s.>", o->prefix);
	if (js_context(nc, o, &js, why, why_size))
		return -EAGAIN;
	/* Twice at most: after a creation race, the winner's is checked. */
	for (int round = 0; round < 2; round++) {
		jsStreamInfo *si = NULL;
		jsErrCode jerr = 0;
		natsStatus s = js_GetStreamInfo(&si, js, o->stream, NULL,
						&jerr);

		if (s == NATS_OK) {
			err = check(si->Config, o, pattern, why, why_size);
			jsStreamInfo_Destroy(si);
			break;
		}
		if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
			err = failed(s, jerr, "stream info", why, why_size);
			break;
		}
		if (o->no_create) {
			snprintf(why, why_size, "stream %s does not exist "
				 "(--no-create)", o->stream);
			err = -EINVAL;
			break;
		}
		err = create(js, o, subjects, why, why_size);
		if (err != -EEXIST) {
			*created = err == 0;
			break;
		}
	}
	jsCtx_Destroy(js);
	return err == -EEXIST ? -EAGAIN : err;
}

/* A header that is a number, in base 10 or 16. */
static bool hdr_num(natsMsg *m, const char *key, int base, uint64_t *v)
{
	const char *s = NULL;
	char *end;

	if (natsMsgHeader_Get(m, key, &s) != NATS_OK || !s || !*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !errno && !*end;
}

int mcbn_stream_last(natsConnection *nc, const struct mcbn_fwd_opts *o,
		     const char *subject, struct mcbn_last *last, char *why,
		     size_t why_size)
{
	jsCtx *js = NULL;
	natsMsg *m = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	uint64_t lost_last;
	int err;

	if (js_context(nc, o, &js, why, why_size))
		return -EAGAIN;
	s = js_GetLastMsg(&m, js, o->stream, subject, NULL, &jerr);
	jsCtx_Destroy(js);
	if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
		snprintf(why, why_size, "no message on %s", subject);
		return -ENOENT;
	}
	if (s != NATS_OK) {
		failed(s, jerr, "the last message", why, why_size);
		return -EAGAIN;
	}
	err = 0;
	last->open = false;
	if (!hdr_num(m, "Mcb-Bridge-Run", 16, &last->run) ||
	    !hdr_num(m, "Mcb-Bridge-Seq", 10, &last->seq)) {
		snprintf(why, why_size, "the last message on %s has no "
			 "Mcb-Bridge-Run or Mcb-Bridge-Seq", subject);
		err = -EBADMSG;
	} else if (hdr_num(m, "Mcb-Lost-Open", 10, &lost_last)) {
		last->open = true;
	} else if (hdr_num(m, "Mcb-Lost-Last", 10, &lost_last) &&
		   lost_last > last->seq) {
		last->seq = lost_last;	/* announced: not to be asked for */
	}
	natsMsg_Destroy(m);
	return err;
}
