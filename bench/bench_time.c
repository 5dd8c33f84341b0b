// SPDX-License-Identifier: MIT
/* Clocks, CPU time, pacing, end markers, stop signals: see bench.h. */
#include "bench.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

volatile sig_atomic_t bench_stop;

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	       1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
	       1000u;
}

uint64_t bench_sleeps(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_nvcsw;
}

void bench_rcvtimeo(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (long)(ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		perror("SO_RCVTIMEO");
}

void bench_sleep_until(uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / 1000000000u),
		.tv_nsec = (long)(t_ns % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void bench_pacer_start(struct bench_pacer *p, uint64_t rate, uint64_t count,
		       uint64_t tick_ns, uint64_t chunk)
{
	memset(p, 0, sizeof(*p));
	p->rate = rate;
	p->count = count;
	p->tick_ns = tick_ns;
	p->chunk = chunk;
	p->start = bench_now_ns();
	p->next = p->start;
}

uint64_t bench_pacer_due(struct bench_pacer *p, uint64_t done)
{
	uint64_t k;

	if (p->rate) {
		/* The epsilon: a tick of exactly 1/rate is one event. */
		uint64_t due = (uint64_t)((double)p->rate *
					  (double)(bench_now_ns() - p->start) /
					  1e9 + 1e-6);

		if (due > p->count)
			due = p->count;
		k = due > done ? due - done : 0;
	} else {
		k = p->count - done;
	}
	p->behind = k > p->chunk;
	return p->behind ? p->chunk : k;
}

void bench_pacer_wait(struct bench_pacer *p)
{
	uint64_t now;

	if (!p->rate || p->behind)
		return;
	p->next += p->tick_ns;
	now = bench_now_ns();
	if (p->next > now)
		bench_sleep_until(p->next);
	else
		p->next = now;	/* behind: no burst of sleeps */
}

void bench_end_markers(double end_for, void (*send)(void *ctx), void *ctx)
{
	uint64_t until = bench_now_ns() + (uint64_t)(end_for * 1e9), next;

	for (next = bench_now_ns(); next <= until; next += 500000000u) {
		bench_sleep_until(next);
		send(ctx);
	}
}

static void on_stop(int sig)
{
	(void)sig;
	bench_stop = 1;
}

void bench_catch_stop(void)
{
	/* No SA_RESTART: a signal ends a blocking receive. */
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		perror("sigaction");
}
