/* SPDX-License-Identifier: MIT */
/* mcbridge-listen: print the events mcbridged multicasts. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include "listen.h"

/* The only global: what the signal handler may touch. */
static struct listen_signals signals;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		signals.report = 1;
	else
		signals.stop = 1;
}

int main(int argc, char **argv)
{
	struct listen_opts o;
	struct mcb_key key;
	struct sigaction sa;
	sigset_t block, wait_mask;
	int r = listen_opts_parse(&o, argc, argv, stdout, stderr);

	if (r == OPTS_EXIT_OK)
		return 0;
	if (r == OPTS_USAGE)
		return 2;
	if (o.key_file) {
		char why[256];

		/* A key that others can read protects nothing: a setting
		 * error, like a bad option. */
		if (mcb_key_load(&key, o.key_file, why, sizeof(why)) < 0) {
			fprintf(stderr, MCB_LISTEN_NAME ": %s\n", why);
			return 2;
		}
	}

	/* Keep SIGINT/SIGTERM/SIGUSR1 blocked except while waiting in
	 * ppoll. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask) < 0) {
		perror(MCB_LISTEN_NAME ": sigprocmask");
		return 1;
	}
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGUSR1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror(MCB_LISTEN_NAME ": sigaction");
		return 1;
	}
	/* A closed stdout (| head) shows as EPIPE and ends us quietly. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		perror(MCB_LISTEN_NAME ": sigaction");
		return 1;
	}
	r = listen_run(&o, o.key_file ? &key : NULL, &signals, &wait_mask);
	if (o.key_file)
		mcb_key_wipe(&key);
	/* The failure was reported where it happened. */
	return r < 0 ? 1 : 0;
}
