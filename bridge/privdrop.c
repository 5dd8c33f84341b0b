// SPDX-License-Identifier: MIT
/*
 * Privilege drop.  Everything that needs root (netlink sockets with
 * SO_RCVBUFFORCE, the multicast socket, the key file, the notify socket)
 * is set up before; what the bridge does afterwards - receive, send,
 * resolve families and join groups again after a module reload - any user
 * may do, unless a family restricts joining its group to CAP_NET_ADMIN.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static int lookup(const char *name, struct passwd **pw)
{
	errno = 0;
	*pw = getpwnam(name);
	return *pw ? 0 : (errno ? -errno : -ENOENT);
}

int mcb_priv_plan(struct mcb_priv *p, const char *user,
		  const struct mcb_log *lg)
{
	struct passwd *pw;
	int err;

	memset(p, 0, sizeof(*p));
	if (geteuid() != 0) {
		if (!user)
			return 0;
		err = lookup(user, &pw);
		if (err == 0 && pw->pw_uid == geteuid() &&
		    pw->pw_uid == getuid())
			return 0;
		mcb_log(lg, LOG_ERR, "--user %s: only root can change user",
			user);
		return -EPERM;
	}
	if (user) {
		err = lookup(user, &pw);
	} else {
		err = lookup(MCB_DEFAULT_USER, &pw);
		if (err == -ENOENT)
			err = lookup(user = MCB_FALLBACK_USER, &pw);
		else
			user = MCB_DEFAULT_USER;
	}
	if (err) {
		mcb_log(lg, LOG_ERR, "user %s: %s", user,
			err == -ENOENT ? "no such user" : strerror(-err));
		return err;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		mcb_log(lg, LOG_ERR, "user %s: uid/gid 0 would keep root; "
			"choose an unprivileged account", user);
		return -EINVAL;
	}
	p->drop = true;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	snprintf(p->name, sizeof(p->name), "%s", pw->pw_name);
	return 0;
}

/* No capability left in any set that could be used (clear = make so). */
static int caps_empty(bool clear)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (clear) {
		/* Giving up capabilities is always allowed; emptying the
		 * permitted set empties the ambient set too. */
		memset(d, 0, sizeof(d));
		if (syscall(SYS_capset, &h, d) < 0)
			return -errno;
	}
	/* Cleared first: checkers that know only the v1 layout (valgrind)
	 * would otherwise see the second word as never written. */
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return -EPERM;
	return 0;
}

static int drop_user(const struct mcb_priv *p, const struct mcb_log *lg)
{
	uid_t r, e, s;
	int err;

	/* Groups first: only root may change them. */
	if (setgroups(0, NULL) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
	    setresuid(p->uid, p->uid, p->uid) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "dropping privileges to %s: %s", p->name,
			strerror(-err));
		return err;
	}
	/* Trust but verify: all three uids changed, root cannot come back,
	 * and the kernel cleared the capabilities with the uid change. */
	if (getresuid(&r, &e, &s) < 0 || r != p->uid || e != p->uid ||
	    s != p->uid || setuid(0) == 0 || seteuid(0) == 0) {
		mcb_log(lg, LOG_ERR, "dropping privileges to %s: root is "
			"still reachable", p->name);
		return -EPERM;
	}
	return 0;
}

int mcb_priv_drop(const struct mcb_priv *p, const struct mcb_log *lg)
{
	int err;

	if (p->drop) {
		err = drop_user(p, lg);
		if (err)
			return err;
	}
	/* Not started as root: capabilities given to us (e.g. ambient
	 * ones from a service manager) are not needed from here on. */
	err = caps_empty(!p->drop);
	if (err == -EPERM && p->drop)
		err = caps_empty(true);
	if (err) {
		mcb_log(lg, LOG_ERR, "dropping capabilities: %s",
			strerror(-err));
		return err;
	}
	/* Nothing we exec (we do not) could gain privileges either. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "PR_SET_NO_NEW_PRIVS: %s", strerror(-err));
		return err;
	}
	if (p->drop)
		mcb_log(lg, LOG_INFO, "running as %s (uid %u gid %u), no "
			"capabilities", p->name, (unsigned)p->uid,
			(unsigned)p->gid);
	return 0;
}
