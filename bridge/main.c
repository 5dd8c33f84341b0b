// SPDX-License-Identifier: MIT
/* mcbridged: generic netlink multicast events -> IPv4 multicast UDP. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <mcbridge/auth.h>

#include "log.h"
#include "loop.h"
#include "options.h"
#include "privdrop.h"
#include "sdnotify.h"

/* Exit statuses: only main() maps errors to them. */
enum { EXIT_RUNTIME = 1, EXIT_SETTING = 2 };

/* From mcb_loop_init(): a sending interface this host cannot send from is
 * a setting that cannot work, not a failure. */
static bool is_setting_error(int err)
{
	return err == -EADDRNOTAVAIL || err == -ENODEV || err == -EINVAL;
}

/* Key file -> MAC context; the key bytes do not outlive this.  Returns 0,
 * -EINVAL for a key file that cannot be used (a setting), or -EOPNOTSUPP
 * without HMAC-SHA256 in libcrypto; logged. */
static int load_key(const char *path, struct mcb_auth *auth,
		    const struct mcb_log *lg)
{
	struct mcb_key key;
	char why[256];
	int err = 0;

	if (mcb_key_load(&key, path, why, sizeof(why)) < 0) {
		mcb_log(lg, LOG_ERR, "%s", why);
		return -EINVAL;
	}
	if (mcb_auth_init(auth, &key) < 0) {
		mcb_log(lg, LOG_ERR, "libcrypto: no HMAC-SHA256");
		err = -EOPNOTSUPP;
	}
	mcb_key_wipe(&key);
	return err;
}

int main(int argc, char **argv)
{
	struct mcb_options opt;
	struct mcb_log lg;
	struct mcb_loop loop;
	struct mcb_auth auth = { 0 };
	struct mcb_priv priv;
	sigset_t sigs;
	bool setting;
	int err;

	switch (mcb_options_parse(&opt, argc, argv, stdout, stderr)) {
	case MCB_OPT_RUN:
		break;
	case MCB_OPT_EXIT_OK:
		return fflush(stdout) == EOF ? EXIT_RUNTIME : 0;
	case MCB_OPT_ERROR:
		return EXIT_SETTING;
	}

	/* Signals are read from a signalfd in the loop: block them first. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0) {
		perror("mcbridged: sigprocmask");
		return EXIT_RUNTIME;
	}
	/* A closed stdout must not kill us when printing readiness. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("mcbridged: signal");
		return EXIT_RUNTIME;
	}

	mcb_log_open(&lg, "mcbridged", opt.use_syslog, opt.verbose);
	/* Settings first: a bad user or key fails before any socket. */
	err = mcb_priv_plan(&priv, opt.user, &lg);
	if (err == 0 && opt.key_file)
		err = load_key(opt.key_file, &auth, &lg);
	if (err) {
		mcb_log_close(&lg);
		return err == -EOPNOTSUPP ? EXIT_RUNTIME : EXIT_SETTING;
	}
	err = mcb_loop_init(&loop, &opt, &lg);
	setting = is_setting_error(err);
	if (err == 0 && opt.key_file)
		err = mcb_loop_auth(&loop, &auth);
	if (err == 0) {
		/* Needs the socket's permissions: before the drop. */
		int nerr = mcb_sd_notify_connect();

		if (nerr < 0)
			mcb_log(&lg, LOG_WARNING, "NOTIFY_SOCKET: %s",
				strerror(-nerr));
		err = mcb_priv_drop(&priv, &lg);
	}
	if (err == 0) {
		mcb_loop_ready(&loop, stdout);
		err = mcb_loop_run(&loop);
		mcb_sd_notify("STOPPING=1");
		mcb_loop_stats(&loop, "final stats");
	}
	mcb_loop_fini(&loop);
	if (opt.key_file)
		mcb_auth_fini(&auth);
	mcb_log_close(&lg);
	/* Each failure was logged where it happened. */
	return err == 0 ? 0 : setting ? EXIT_SETTING : EXIT_RUNTIME;
}
