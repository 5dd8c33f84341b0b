// SPDX-License-Identifier: MIT
/* mcbridged: generic netlink multicast events -> IPv4 multicast UDP. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <mcbridge/auth.h>

#include "log.h"
#include "loop.h"
#include "options.h"
#include "privdrop.h"
#include "sdnotify.h"

/* Key file -> MAC context; the key bytes do not outlive this. */
static int load_key(const char *path, struct mcb_auth *auth,
		    const struct mcb_log *lg)
{
	struct mcb_key key;
	char why[256];
	int rc = 0;

	if (mcb_key_load(&key, path, why, sizeof(why)) < 0) {
		mcb_log(lg, LOG_ERR, "%s", why);
		return 2;
	}
	if (mcb_auth_init(auth, &key) < 0) {
		mcb_log(lg, LOG_ERR, "libcrypto: no HMAC-SHA256");
		rc = 1;
	}
	mcb_key_wipe(&key);
	return rc;
}

int main(int argc, char **argv)
{
	struct mcb_options opt;
	struct mcb_log lg;
	struct mcb_loop loop;
	struct mcb_auth auth = { 0 };
	struct mcb_priv priv;
	sigset_t sigs;
	int rc, err;

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
	/* Settings first: a bad user or key fails before any socket. */
	rc = mcb_priv_plan(&priv, opt.user, &lg);
	if (rc == 0 && opt.key_file)
		rc = load_key(opt.key_file, &auth, &lg);
	if (rc) {
		mcb_log_close(&lg);
		return rc;
	}
	rc = mcb_loop_init(&loop, &opt, &lg);
	if (rc == 0 && opt.key_file)
		rc = mcb_loop_auth(&loop, &auth);
	if (rc == 0) {
		/* Needs the socket's permissions: before the drop. */
		err = mcb_sd_notify_connect();
		if (err < 0)
			mcb_log(&lg, LOG_WARNING, "NOTIFY_SOCKET: %s",
				strerror(-err));
		rc = mcb_priv_drop(&priv, &lg);
	}
	if (rc == 0) {
		mcb_loop_ready(&loop, stdout);
		rc = mcb_loop_run(&loop);
		mcb_sd_notify("STOPPING=1");
		mcb_loop_stats(&loop, "final stats");
	}
	mcb_loop_fini(&loop);
	if (opt.key_file)
		mcb_auth_fini(&auth);
	mcb_log_close(&lg);
	return rc;
}
