// SPDX-License-Identifier: MIT
/*
 * Key files (format: mcbridge/wire.h).  A key anyone else can read is no
 * secret, so such a file is refused rather than used with a warning.
 */
#include <mcbridge/auth.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Room for the longest hex key, its newline, and one byte to see more. */
#define KEYFILE_MAX	(2 * MCB_KEY_MAX + 3)

void mcb_key_wipe(struct mcb_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* All hex digits, an even count, after dropping one trailing newline. */
static bool parse_hex(struct mcb_key *k, const unsigned char *p, size_t n)
{
	if (n && p[n - 1] == '\n')
		n--;
	if (n && p[n - 1] == '\r')
		n--;
	if (n == 0 || n % 2 || n / 2 > MCB_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hexval(p[i]) < 0)
			return false;
	for (size_t i = 0; i < n; i += 2)
		k->bytes[i / 2] = (unsigned char)(hexval(p[i]) << 4 |
						  hexval(p[i + 1]));
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

int mcb_key_load(struct mcb_key *k, const char *path, char *why,
		 size_t why_size)
{
	unsigned char buf[KEYFILE_MAX];
	struct stat st;
	size_t n = 0;
	int fd, rc = -1;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, why_size, "key file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	/* fstat the file we read: no window to swap it after the check. */
	if (fstat(fd, &st) < 0) {
		snprintf(why, why_size, "key file %s: %s", path,
			 strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "key file %s: not a regular file",
			 path);
	} else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, why_size, "key file %s: mode %04o lets group or "
			 "others in; chmod 600 it", path,
			 (unsigned)(st.st_mode & 07777));
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
