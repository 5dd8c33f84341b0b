// SPDX-License-Identifier: MIT
/*
 * Key files (format: mcbridge/wire.h).  A key anyone else can read is no
 * secret, so such a file is refused rather than used with a warning.
 * "cred:NAME" names a systemd credential: $CREDENTIALS_DIRECTORY/NAME.
 */
#include <mcbridge/auth.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/cred.h"
#include "lib/hex.h"

/* Room for the longest hex key, its newline, and one byte to see more. */
#define KEYFILE_MAX	(2 * MCB_KEY_MAX + 3)

void mcb_key_wipe(struct mcb_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* All hex digits, an even count, after dropping one trailing newline. */
static bool parse_hex(struct mcb_key *k, const unsigned char *p, size_t n)
{
	if (n && p[n - 1] == '\n')
		n--;
	if (n && p[n - 1] == '\r')
		n--;
	if (n == 0 || n % 2 || n / 2 > MCB_KEY_MAX ||
	    mcb_hex_decode(k->bytes, (const char *)p, n / 2, true) < 0)
		return false;
	k->len = n / 2;
	return true;
}

static int read_all(int fd, unsigned char *buf, size_t cap, size_t *n)
{
	*n = 0;
	while (*n < cap) {
		ssize_t r = read(fd, buf + *n, cap - *n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	return 0;
}

/*
 * POSIX ACL xattr layout (linux/posix_acl_xattr.h): a version word, then
 * {tag, perm, id} entries, little-endian.
 */
#define ACL_XATTR		"system.posix_acl_access"
#define ACL_XATTR_VERSION	2u
#define ACL_TAG_USER		0x02u
#define ACL_TAG_GROUP_OBJ	0x04u
#define ACL_TAG_GROUP		0x08u
#define ACL_ENTRIES_MAX		64

static uint32_t le(const unsigned char *p, int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/*
 * Group and others must have no access.  With an ACL the mode's group bits
 * are the ACL mask, not the group: systemd grants the service user read on
 * a root-owned credential this way.  So then the ACL itself must give the
 * owning group, every named group and every other named user nothing.
 * 1 if so, 0 if not, -1 with errno if the ACL cannot be read.
 */
static int private_to_owner(int fd, const struct stat *st)
{
	unsigned char acl[4 + 8 * ACL_ENTRIES_MAX];
	ssize_t n;

	if (st->st_mode & S_IRWXO)
		return 0;
	n = fgetxattr(fd, ACL_XATTR, acl, sizeof(acl));
	if (n < 0) {
		if (errno == ENODATA || errno == ENOTSUP)
			return !(st->st_mode & S_IRWXG);
		if (errno == ERANGE)	/* more entries than any key needs */
			return 0;
		return -1;
	}
	if (n < 4 || (n - 4) % 8 || le(acl, 4) != ACL_XATTR_VERSION)
		return 0;
	for (ssize_t i = 4; i < n; i += 8) {
		uint32_t tag = le(acl + i, 2), perm = le(acl + i + 2, 2);
		uint32_t id = le(acl + i + 4, 4);

		if (!perm)
			continue;
		if (tag == ACL_TAG_GROUP_OBJ || tag == ACL_TAG_GROUP ||
		    (tag == ACL_TAG_USER && id != geteuid()))
			return 0;
	}
	return 1;
}

/*
 * "cred:NAME": the credential directory is systemd's (root or the service
 * user owns it, nobody else may write it); NAME is one file in it.
 */
static int open_cred(const char *name, const char *path, char *why,
		     size_t why_size)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct stat st;
	int dfd, fd;

	if (!mcb_cred_name_ok(name)) {
		snprintf(why, why_size, "key %s: not a credential name", path);
		return -1;
	}
	if (!dir || dir[0] != '/') {
		snprintf(why, why_size, "key %s: no $CREDENTIALS_DIRECTORY "
			 "(LoadCredential= in the unit?)", path);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(why, why_size, "key %s: %s: %s", path, dir,
			 strerror(errno));
		return -1;
	}
	if (fstat(dfd, &st) < 0) {
		snprintf(why, why_size, "key %s: %s: %s", path, dir,
			 strerror(errno));
		fd = -1;
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_size, "key %s: %s is writable by group or "
			 "others", path, dir);
		fd = -1;
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, why_size, "key %s: %s owned by uid %u, not by "
			 "root or uid %u", path, dir, (unsigned)st.st_uid,
			 (unsigned)geteuid());
		fd = -1;
	} else {
		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
			    O_NONBLOCK | O_NOFOLLOW);
		if (fd < 0)
			snprintf(why, why_size, "key %s: %s/%s: %s", path, dir,
				 name, strerror(errno));
	}
	if (close(dfd) < 0 && fd >= 0) {
		snprintf(why, why_size, "key %s: close: %s", path,
			 strerror(errno));
		close(fd);
		fd = -1;
	}
	return fd;
}

int mcb_key_load(struct mcb_key *k, const char *path, char *why,
		 size_t why_size)
{
	unsigned char buf[KEYFILE_MAX];
	struct stat st;
	size_t n = 0;
	int fd, priv = 0, rc = -1;

	memset(k, 0, sizeof(*k));
	if (!strncmp(path, "cred:", 5)) {
		fd = open_cred(path + 5, path, why, why_size);
		if (fd < 0)
			return -1;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			snprintf(why, why_size, "key file %s: %s", path,
				 strerror(errno));
			return -1;
		}
	}
	/* fstat the file we read: no window to swap it after the check. */
	if (fstat(fd, &st) < 0) {
		snprintf(why, why_size, "key file %s: %s", path,
			 strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "key file %s: not a regular file",
			 path);
	} else if ((priv = private_to_owner(fd, &st)) <= 0) {
		if (priv < 0)
			snprintf(why, why_size, "key file %s: ACL: %s", path,
				 strerror(errno));
		else
			snprintf(why, why_size, "key file %s: mode %04o or "
				 "its ACL lets group or others in; chmod 600 "
				 "it", path, (unsigned)(st.st_mode & 07777));
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, why_size, "key file %s: owned by uid %u, not by "
			 "root or uid %u", path, (unsigned)st.st_uid,
			 (unsigned)geteuid());
	} else if (read_all(fd, buf, sizeof(buf), &n) < 0) {
		snprintf(why, why_size, "key file %s: %s", path,
			 strerror(errno));
	} else if (parse_hex(k, buf, n)) {
		rc = k->len >= MCB_KEY_MIN ? 0 : -1;
		if (rc)
			snprintf(why, why_size, "key file %s: %zu bytes of hex "
				 "key, need at least %d", path, k->len,
				 MCB_KEY_MIN);
	} else if (n < MCB_KEY_MIN || n > MCB_KEY_MAX) {
		snprintf(why, why_size, "key file %s: %s key of %s%zu bytes, "
			 "need %d..%d", path, "raw", n == sizeof(buf) ?
			 "at least " : "", n, MCB_KEY_MIN, MCB_KEY_MAX);
	} else {
		memcpy(k->bytes, buf, n);
		k->len = n;
		rc = 0;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc)
		mcb_key_wipe(k);
	if (close(fd) < 0 && rc == 0) {
		snprintf(why, why_size, "key file %s: close: %s", path,
			 strerror(errno));
		mcb_key_wipe(k);
		rc = -1;
	}
	return rc;
}
