// SPDX-License-Identifier: MIT
/* --key: every mapping signs its datagrams, under its own random epoch. */
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int mcb_loop_auth(struct mcb_loop *l, struct mcb_auth *auth)
{
	for (size_t i = 0; i < l->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];
		ssize_t n;

		/* Blocks only until the pool is initialised, once per boot. */
		do
			n = getrandom(&m->epoch, sizeof(m->epoch), 0);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(m->epoch)) {
			int err = n < 0 ? -errno : -EIO;

			mcb_log(l->log, LOG_ERR, "getrandom: %s",
				n < 0 ? strerror(-err) : "short read");
			return err;
		}
		m->auth = auth;
		m->sign = mcb_auth_sign;
	}
	/* Requests must then be signed with the same key. */
	l->rep.auth = auth;
	return 0;
}
