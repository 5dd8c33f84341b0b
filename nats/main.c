/* SPDX-License-Identifier: MIT */
/*
 * mcbridge-nats: forward mcbridge events from IP multicast to NATS, or
 * (`mcbridge-nats sub`) print them from NATS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <mcbridge/auth.h>

#include "fwd.h"
#include "lib/log.h"
#include "options.h"
#include "sub.h"

/* Exit statuses: only main() maps errors to them. */
enum { EXIT_RUNTIME = 1, EXIT_SETTING = 2 };

/* Read from signalfds: blocked in every thread, the C client's too, so
 * this comes before anything starts one. */
static int block_signals(void)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror(MCBN_NAME ": signals");
		return -errno;
	}
	return 0;
}

/* The exit status of a command line that ends the program (help, version,
 * an error), or -1 to run. */
static int parse_exit(int r)
{
	switch (r) {
	case MCB_OPT_RUN:
		return -1;
	case MCB_OPT_EXIT_OK:
		return fflush(stdout) == EOF ? EXIT_RUNTIME : 0;
	default:
		return EXIT_SETTING;
	}
}

static int sub_main(int argc, char **argv)
{
	struct mcbn_sub_opts o;
	int r = parse_exit(mcbn_sub_opts_parse(&o, argc, argv, stdout, stderr));

	if (r >= 0)
		return r;
	if (block_signals() < 0)
		return EXIT_RUNTIME;
	return mcbn_sub_run(&o) < 0 ? EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	struct mcbn_fwd_opts o;
	struct mcb_key key;
	struct mcb_log lg;
	char why[256];
	int err;

	if (argc > 1 && !strcmp(argv[1], "sub"))
		return sub_main(argc - 1, argv + 1);
	err = parse_exit(mcbn_fwd_opts_parse(&o, argc, argv, stdout, stderr));
	if (err >= 0)
		return err;
	if (block_signals() < 0)
		return EXIT_RUNTIME;
	mcb_log_open(&lg, MCBN_NAME, o.use_syslog, o.verbose);
	/* A key that others can read protects nothing: a setting error. */
	if (o.key_file && mcb_key_load(&key, o.key_file, why, sizeof(why)) < 0) {
		mcb_log(&lg, LOG_ERR, "%s", why);
		mcb_log_close(&lg);
		return EXIT_SETTING;
	}
	err = mcbn_fwd_run(&o, o.key_file ? &key : NULL, &lg, stdout);
	if (o.key_file)
		mcb_key_wipe(&key);
	mcb_log_close(&lg);
	/* Each failure was logged where it happened. */
	if (err == -EINVAL)
		return EXIT_SETTING;
	return err ? EXIT_RUNTIME : 0;
}
