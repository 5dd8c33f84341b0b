// SPDX-License-Identifier: MIT
/*
 * mcb-rel-listen: a listener for the reliability tests.  It prints nothing
 * per event (so it keeps up with a burst under emulation) and accounts for
 * every datagram: per text counts, bridge_seq gaps and restarts, kernel seq
 * gaps split by what explains them, lost and overrun notices.
 *
 *   mcb-rel-listen [--port N] [--rcvbuf BYTES] [--until TEXT] [--idle S]
 *                  [--ready-fd N]
 *
 * Ends after an injected event whose text is --until (a marker: everything
 * the bridge sent before it has arrived), after --idle seconds without a
 * datagram (default 120), or on SIGTERM/SIGINT; then prints
 *
 *   summary datagrams= events= bad= bseq_gaps= bseq_missing= restarts=
 *           instances= kseq_gaps= kseq_missing= kseq_back= lost_notices=
 *           lost_events= announced_gaps= announced_missing= own_gaps=
 *           restart_gaps= restart_missing= silent_gaps= silent_missing=
 *           overrun_notices= overruns= first_kseq= last_kseq= until_seen=
 *           sock_drops= last_missing_kseq=
 *   text NAME COUNT              (one line per distinct text)
 *   instance N first= last= events=  (per run of the kernel seq)
 *
 * Datagrams are put back in bridge_seq order first: loopback multicast may
 * reorder them (each CPU has its own receive backlog, and the bridge may
 * move between CPUs while sending).  A hole is waited for until REORDER_MAX
 * datagrams queue behind it or nothing arrives for REORDER_WAIT_MS.
 *
 * A kernel seq gap is "announced" when the datagram before it was a lost
 * notice for exactly that gap, "own" when bridge_seq also skipped (this
 * listener dropped datagrams), "restart" when the bridge restarted in
 * between; anything else is silent loss.  A kernel seq going back starts a
 * new instance (module reloaded).  last_missing_kseq is the highest kernel
 * seq that never arrived (0: none).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

#include <linux/mcbridge.h>

#include "mcbridge_client.h"

#define MAX_TEXTS	256
#define TEXT_KEEP	64
#define MAX_INST	256
#define REORDER_MAX	8192
#define REORDER_START	64	/* queued before the first seq is trusted */
#define REORDER_WAIT_MS	300

struct text_count {
	char text[TEXT_KEEP];
	uint64_t n;
};

struct inst {
	uint64_t first, last, events;
};

static struct {
	uint64_t datagrams, events, bad;
	uint64_t bseq_gaps, bseq_missing, restarts;
	uint64_t kseq_gaps, kseq_missing, kseq_back;
	uint64_t lost_notices, lost_events;
	uint64_t announced_gaps, announced_missing, own_gaps;
	uint64_t restart_gaps, restart_missing;
	uint64_t silent_gaps, silent_missing;
	uint64_t overrun_notices, overruns;
	uint64_t tails;
	uint64_t last_missing_kseq;
	bool until_seen;
} c;

static struct text_count texts[MAX_TEXTS];
static unsigned ntexts;
static struct inst insts[MAX_INST];
static unsigned ninst;	/* insts[ninst - 1] is the current one */

/* State carried from one released datagram to the next. */
static bool have_bseq, have_kseq;
static uint64_t last_bseq, last_kseq;
static bool bseq_skipped, bridge_restarted;	/* since the last event */
static uint64_t pending_lost, pending_lost_kseq;	/* last lost notice */

/* What the accounting needs of a datagram, kept while it waits. */
struct entry {
	uint64_t bseq, kseq, count;
	uint8_t kind;
	bool has_kseq;
};

/* Reorder buffer: a min-heap on bridge_seq for the current bridge run. */
static struct entry heap[REORDER_MAX + 1];
static unsigned nheap;
static uint64_t expect;		/* next bridge_seq to release; 0: not known */
static bool new_run;		/* the next release starts a new bridge run */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void count_text(const char *t, size_t len)
{
	char key[TEXT_KEEP];
	unsigned i;

	if (len >= sizeof(key))
		len = sizeof(key) - 1;
	memcpy(key, t, len);
	key[len] = '\0';
	for (i = 0; i < ntexts; i++)
		if (!strcmp(texts[i].text, key))
			break;
	if (i == ntexts) {
		if (ntexts == MAX_TEXTS)
			i = MAX_TEXTS - 1;	/* the last slot takes the rest */
		else
			memcpy(texts[ntexts++].text, key, sizeof(key));
	}
	texts[i].n++;
}

static void kernel_seq(uint64_t seq)
{
	if (!have_kseq || seq <= last_kseq) {
		if (have_kseq)
			c.kseq_back++;
		if (ninst < MAX_INST)
			ninst++;
		insts[ninst - 1] = (struct inst){ .first = seq };
	} else if (seq != last_kseq + 1) {
		uint64_t missing = seq - last_kseq - 1;

		c.kseq_gaps++;
		c.kseq_missing += missing;
		c.last_missing_kseq = seq - 1;
		if (pending_lost == missing && pending_lost_kseq == seq) {
			c.announced_gaps++;
			c.announced_missing += missing;
		} else if (bridge_restarted) {
			c.restart_gaps++;
			c.restart_missing += missing;
		} else if (bseq_skipped) {
			c.own_gaps++;
		} else {
			c.silent_gaps++;
			c.silent_missing += missing;
			fprintf(stderr, "mcb-rel-listen: silent gap: kernel seq "
				"%" PRIu64 " after %" PRIu64 "\n", seq, last_kseq);
		}
	}
	have_kseq = true;
	last_kseq = seq;
	insts[ninst - 1].last = seq;
	insts[ninst - 1].events++;
}

static void release(const struct entry *e)
{
	if (have_bseq && new_run) {
		c.restarts++;
		bridge_restarted = true;
	} else if (have_bseq && e->bseq != last_bseq + 1) {
		c.bseq_gaps++;
		c.bseq_missing += e->bseq - last_bseq - 1;
		bseq_skipped = true;
	}
	new_run = false;
	have_bseq = true;
	last_bseq = e->bseq;

	if (e->kind == MCB_KIND_LOST) {
		pending_lost = e->count;
		pending_lost_kseq = e->kseq;
		return;
	}
	if (e->kind == MCB_KIND_OVERRUN)
		return;
	if (e->has_kseq)
		kernel_seq(e->kseq);
	pending_lost = 0;
	bseq_skipped = false;
	bridge_restarted = false;
}

static void heap_push(const struct entry *e)
{
	unsigned i = nheap++;

	while (i > 0 && heap[(i - 1) / 2].bseq > e->bseq) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = *e;
}

static struct entry heap_pop(void)
{
	struct entry top = heap[0], last = heap[--nheap];
	unsigned i = 0;

	for (;;) {
		unsigned l = 2 * i + 1, m = i;

		if (l < nheap && heap[l].bseq < last.bseq)
			m = l;
		if (l + 1 < nheap && heap[l + 1].bseq <
		    (m == i ? last.bseq : heap[m].bseq))
			m = l + 1;
		if (m == i)
			break;
		heap[i] = heap[m];
		i = m;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

/* Release what is in order; all of it when flushing. */
static void drain_heap(bool flush)
{
	while (nheap && (flush || heap[0].bseq == expect ||
			 nheap > (expect ? REORDER_MAX - 1 : REORDER_START))) {
		struct entry e = heap_pop();

		release(&e);
		expect = e.bseq + 1;
	}
}

static void handle(const struct mcb_event *ev, const char *until)
{
	struct entry e = {
		.bseq = ev->bridge_seq, .kind = (uint8_t)ev->kind,
		.count = ev->count, .kseq = ev->kernel_seq,
		.has_kseq = mcb_event_is_mcbridge(ev) &&
			    (ev->has & MCB_HAS_KERNEL_SEQ),
	};

	/* An idle bridge's tail repeats the last bridge_seq: no datagram
	 * of the stream. */
	if (ev->kind == MCB_KIND_TAIL) {
		c.tails++;
		return;
	}
	/* Behind what was released: only a new bridge run starts lower. */
	if (expect && e.bseq < expect) {
		drain_heap(true);
		new_run = true;
		expect = 1;
	}
	heap_push(&e);
	drain_heap(false);

	/* Order does not matter for these. */
	if (ev->kind == MCB_KIND_LOST) {
		c.lost_notices++;
		c.lost_events += ev->count;
	} else if (ev->kind == MCB_KIND_OVERRUN) {
		c.overrun_notices++;
		c.overruns += ev->count;
	} else {
		c.events++;
	}
	if (ev->kind == MCB_KIND_EVENT && (ev->has & MCB_HAS_TEXT)) {
		count_text(ev->text, ev->text_len);
		if (until && ev->type == MCBRIDGE_EVENT_INJECTED &&
		    ev->text_len == strlen(until) &&
		    !memcmp(ev->text, until, ev->text_len))
			c.until_seen = true;
	}
}

/* Datagrams the kernel dropped at this socket (receive buffer full). */
static long long sock_drops(int fd)
{
	__u32 mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return -1;
	return mem[SK_MEMINFO_DROPS];
}

static void report(int fd)
{
	printf("summary datagrams=%" PRIu64 " events=%" PRIu64 " bad=%" PRIu64
	       " bseq_gaps=%" PRIu64 " bseq_missing=%" PRIu64
	       " restarts=%" PRIu64 " instances=%u kseq_gaps=%" PRIu64
	       " kseq_missing=%" PRIu64 " kseq_back=%" PRIu64
	       " lost_notices=%" PRIu64 " lost_events=%" PRIu64
	       " announced_gaps=%" PRIu64 " announced_missing=%" PRIu64
	       " own_gaps=%" PRIu64 " restart_gaps=%" PRIu64
	       " restart_missing=%" PRIu64 " silent_gaps=%" PRIu64
	       " silent_missing=%" PRIu64 " overrun_notices=%" PRIu64
	       " overruns=%" PRIu64 " first_kseq=%" PRIu64
	       " last_kseq=%" PRIu64 " until_seen=%d sock_drops=%lld"
	       " tails=%" PRIu64 " last_missing_kseq=%" PRIu64 "\n",
	       c.datagrams, c.events, c.bad, c.bseq_gaps, c.bseq_missing,
	       c.restarts, ninst, c.kseq_gaps, c.kseq_missing, c.kseq_back,
	       c.lost_notices, c.lost_events, c.announced_gaps,
	       c.announced_missing, c.own_gaps, c.restart_gaps,
	       c.restart_missing, c.silent_gaps, c.silent_missing,
	       c.overrun_notices, c.overruns, ninst ? insts[0].first : 0,
	       have_kseq ? last_kseq : 0, c.until_seen, sock_drops(fd),
	       c.tails, c.last_missing_kseq);
	for (unsigned i = 0; i < ntexts; i++)
		printf("text %s %" PRIu64 "\n", texts[i].text, texts[i].n);
	for (unsigned i = 0; i < ninst; i++)
		printf("instance %u first=%" PRIu64 " last=%" PRIu64
		       " events=%" PRIu64 "\n", i + 1, insts[i].first,
		       insts[i].last, insts[i].events);
}

static void usage(void)
{
	fputs("usage: mcb-rel-listen [--port N] [--rcvbuf BYTES] "
	      "[--until TEXT] [--idle S] [--ready-fd N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "until", required_argument, NULL, 'u' },
		{ "idle", required_argument, NULL, 'i' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	/* A whole-datagram buffer: static, it is 64 KiB. */
	static unsigned char buf[MCB_WIRE_MAX_DATAGRAM + 1];
	static struct mcb_event ev;
	struct mcb_listen_cfg cfg = { .port = 7788, .rcvbuf = 64 << 20 };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *until = NULL, *what;
	int idle_ms = 120000, ready_fd = -1, opt;
	struct pollfd pfd;

	cfg.group.s_addr = htonl(0xe1000001);		/* 225.0.0.1 */
	cfg.iface_addr.s_addr = htonl(0x7f000001);	/* 127.0.0.1 */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': cfg.port = (uint16_t)atoi(optarg); break;
		case 'r': cfg.rcvbuf = atoi(optarg); break;
		case 'u': until = optarg; break;
		case 'i': idle_ms = (int)(atof(optarg) * 1000); break;
		case 'R': ready_fd = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pfd.fd = mcb_listen_open(&cfg, &what);
	if (pfd.fd < 0) {
		fprintf(stderr, "mcb-rel-listen: %s: %s\n", what, strerror(errno));
		return 1;
	}
	pfd.events = POLLIN;
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			return 1;
		close(ready_fd);
	}
	/* After the marker, only until what was sent before it is in. */
	while (!stop && !(c.until_seen && nheap == 0)) {
		int r = poll(&pfd, 1, nheap ? REORDER_WAIT_MS : idle_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("mcb-rel-listen: poll");
			return 1;
		}
		if (r == 0 && nheap) {
			drain_heap(true);	/* the hole is real loss */
			continue;
		}
		if (r == 0)
			break;		/* idle: report what we have */
		for (;;) {
			ssize_t n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0) {
				perror("mcb-rel-listen: recv");
				return 1;
			}
			c.datagrams++;
			if (mcb_decode(buf, (size_t)n, MCB_FMT_AUTO, &ev) != MCB_OK) {
				c.bad++;
				continue;
			}
			handle(&ev, until);
		}
	}
	drain_heap(true);
	report(pfd.fd);
	close(pfd.fd);
	return 0;
}
