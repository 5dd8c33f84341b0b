/* SPDX-License-Identifier: MIT */
/* Giving up root once every socket is open (docs/security.md). */
#ifndef MCB_PRIVDROP_H
#define MCB_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "log.h"

/* Used when started as root without --user: the first that exists. */
#define MCB_DEFAULT_USER	"mcbridge"
#define MCB_FALLBACK_USER	"nobody"

struct mcb_priv {
	bool drop;		/* false: not root, nothing to give up */
	uid_t uid;
	gid_t gid;
	char name[64];
};

/*
 * Decide whom to run as: user (--user) or NULL for the default.  As root,
 * resolves the account, which must not be uid 0; not as root, user must be
 * NULL or the current user.  Returns 0, or -errno (a setting that cannot
 * work here: no such user, not root, uid 0) with the reason logged.
 */
int mcb_priv_plan(struct mcb_priv *p, const char *user,
		  const struct mcb_log *lg);

/*
 * Become p's user and group with no supplementary groups, no capabilities
 * and no way back (setuid(0) is checked to fail; no_new_privs is set).
 * Returns 0, or -errno with the failure logged.
 */
int mcb_priv_drop(const struct mcb_priv *p, const struct mcb_log *lg);

#endif
