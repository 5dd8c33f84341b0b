// SPDX-License-Identifier: MIT
/* mcbridged: generic netlink multicast events -> IPv4 multicast UDP. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "options.h"
#include "sdnotify.h"

int main(int argc, char **argv)
{
	struct mcb_options opt;
	struct mcb_log lg;
	struct mcb_loop loop;
	sigset_t sigs;
	int rc;

	switch (mcb_options_parse(&opt, argc, argv, stdout, stderr)) {
	case MCB_OPT_RUN:
		break;
	case MCB_OPT_EXIT_OK:
		return fflush(stdout) == EOF ? 1 : 0;
	case MCB_OPT_ERROR:
		return 2;
	}

	/* Signals are read from a signalfd in the loop: block them first. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0) {
		perror("mcbridged: sigprocmask");
		return 1;
	}
	/* A closed stdout must not kill us when printing readiness. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("mcbridged: signal");
		return 1;
	}

	mcb_log_open(&lg, opt.use_syslog, opt.verbose);
	rc = mcb_loop_init(&loop, &opt, &lg);
	if (rc == 0) {
		mcb_loop_ready(&loop, stdout);
		rc = mcb_loop_run(&loop);
		mcb_sd_notify("STOPPING=1");
		mcb_loop_stats(&loop, "final stats");
	}
	mcb_loop_fini(&loop);
	mcb_log_close(&lg);
	return rc;
}
