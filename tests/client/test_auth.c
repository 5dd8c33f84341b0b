/* SPDX-License-Identifier: MIT */
/*
 * Authentication (mcbridge/auth.h): sign and verify in both formats, the
 * MAC checked against OpenSSL's one-shot HMAC, every single-bit change
 * rejected, the decoders still reading signed datagrams, the replay window,
 * and key files, plain and as systemd credentials.
 */
#include <endian.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/mcbridge.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <mcbridge/auth.h>

#include "mcbridge_client.h"
#include "testenc.h"

#define EPOCH	0x0123456789abcdefull

static struct mcb_key key;
static struct mcb_auth auth;
static struct mcb_event ev;
static unsigned char buf[4096];

static int setup(void **state)
{
	(void)state;
	key.len = 32;
	for (size_t i = 0; i < key.len; i++)
		key.bytes[i] = (unsigned char)(i * 7 + 1);
	return mcb_auth_init(&auth, &key);
}

static int teardown(void **state)
{
	(void)state;
	mcb_auth_fini(&auth);
	return 0;
}

static struct tenc_event sample(uint64_t seq)
{
	struct tenc_event e;

	tenc_init(&e);
	e.bridge_seq = seq;
	e.bridge_time_ns = 5000;
	e.type = MCBRIDGE_EVENT_INJECTED;
	e.text = "hello";
	return e;
}

static void expect_mac(const unsigned char *p, size_t n,
		       const unsigned char *mac)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned int wl = 0;

	assert_non_null(HMAC(EVP_sha256(), key.bytes, (int)key.len, p, n,
			     want, &wl));
	assert_int_equal(wl, MCB_WIRE_MAC_LEN);
	assert_memory_equal(want, mac, MCB_WIRE_MAC_LEN);
}

static void hex(unsigned char *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void json_signed(void **state)
{
	struct tenc_event e = sample(42);
	size_t n, s;
	uint64_t epoch;
	const char *tail;
	unsigned char mac[MCB_WIRE_MAC_LEN];

	(void)state;
	/* Sign twice: the re-initialised context gives the same MAC. */
	for (int round = 0; round < 2; round++) {
		n = tenc_json(&e, (char *)buf, sizeof(buf));
		assert_true(n > 0);
		s = mcb_auth_sign(&auth, buf, n, sizeof(buf), false, EPOCH);
		assert_int_equal(s, n + MCB_JSON_AUTH_EXTRA);
	}
	tail = (const char *)buf + n - 2;
	assert_memory_equal(tail, ",\"epoch\":\"0123456789abcdef\",\"hmac\":\"",
			    36);
	assert_memory_equal(buf + s - 3, "\"}\n", 3);
	hex(mac, tail + 36, sizeof(mac));
	/* The MAC covers everything before ,"hmac": */
	expect_mac(buf, (size_t)(tail + 27 - (const char *)buf), mac);

	assert_int_equal(mcb_auth_verify(&auth, buf, s, &epoch), MCB_AUTH_OK);
	assert_true(epoch == EPOCH);
	/* Plain decoders still read it: two more string keys. */
	assert_int_equal(mcb_decode(buf, s, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_true(ev.bridge_seq == 42);
	assert_string_equal(ev.text, "hello");
}

static void binary_signed(void **state)
{
	struct tenc_event e = sample(7);
	struct mcb_wire_auth t;
	struct mcb_wire_hdr h;
	size_t n, s;
	uint64_t epoch;

	(void)state;
	n = tenc_binary(&e, buf, sizeof(buf));
	assert_true(n > 0);
	s = mcb_auth_sign(&auth, buf, n, sizeof(buf), true, EPOCH);
	assert_int_equal(s, n + sizeof(struct mcb_wire_auth));
	memcpy(&h, buf, sizeof(h));
	assert_true(be16toh(h.flags) & MCB_WIRE_F_AUTH);
	memcpy(&t, buf + n, sizeof(t));
	assert_true(be64toh(t.epoch) == EPOCH);
	expect_mac(buf, n + sizeof(t.epoch), t.mac);

	assert_int_equal(mcb_auth_verify(&auth, buf, s, &epoch), MCB_AUTH_OK);
	assert_true(epoch == EPOCH);
	assert_int_equal(mcb_decode(buf, s, MCB_FMT_AUTO, &ev), MCB_OK);
	assert_true(ev.bridge_seq == 7);
	assert_string_equal(ev.text, "hello");
	/* The trailer is only allowed with the flag, and only whole. */
	assert_int_equal(mcb_decode(buf, s - 1, MCB_FMT_AUTO, &ev),
			 MCB_ERR_TRUNCATED);
	h.flags = htobe16((uint16_t)(be16toh(h.flags) & ~MCB_WIRE_F_AUTH));
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(mcb_decode(buf, s, MCB_FMT_AUTO, &ev),
			 MCB_ERR_TRAILING);
	assert_int_equal(mcb_auth_verify(&auth, buf, s, &epoch),
			 MCB_AUTH_UNSIGNED);
}

/* Every single-bit change of a signed datagram fails verification. */
static void bit_flips(void **state)
{
	struct tenc_event e = sample(9);
	uint64_t epoch;

	(void)state;
	for (int binary = 0; binary < 2; binary++) {
		size_t n = binary ? tenc_binary(&e, buf, sizeof(buf)) :
				    tenc_json(&e, (char *)buf, sizeof(buf));
		size_t s = mcb_auth_sign(&auth, buf, n, sizeof(buf),
					 binary, EPOCH);

		assert_true(s > n);
		for (size_t i = 0; i < s; i++)
			for (int b = 0; b < 8; b++) {
				buf[i] ^= (unsigned char)(1u << b);
				assert_int_not_equal(mcb_auth_verify(&auth, buf,
								     s, &epoch),
						     MCB_AUTH_OK);
				buf[i] ^= (unsigned char)(1u << b);
			}
		assert_int_equal(mcb_auth_verify(&auth, buf, s, &epoch),
				 MCB_AUTH_OK);
		/* Cut short or extended: no longer the signed datagram. */
		assert_int_not_equal(mcb_auth_verify(&auth, buf, s - 1, &epoch),
				     MCB_AUTH_OK);
		buf[s] = '\n';
		assert_int_not_equal(mcb_auth_verify(&auth, buf, s + 1, &epoch),
				     MCB_AUTH_OK);
	}
}

static void wrong_key_and_unsigned(void **state)
{
	struct tenc_event e = sample(3);
	struct mcb_key other = key;
	struct mcb_auth a2;
	uint64_t epoch;
	size_t n, s;

	(void)state;
	other.bytes[0] ^= 1;
	assert_int_equal(mcb_auth_init(&a2, &other), 0);
	for (int binary = 0; binary < 2; binary++) {
		n = binary ? tenc_binary(&e, buf, sizeof(buf)) :
			     tenc_json(&e, (char *)buf, sizeof(buf));
		assert_int_equal(mcb_auth_verify(&auth, buf, n, &epoch),
				 MCB_AUTH_UNSIGNED);
		s = mcb_auth_sign(&a2, buf, n, sizeof(buf), binary, EPOCH);
		assert_int_equal(mcb_auth_verify(&auth, buf, s, &epoch),
				 MCB_AUTH_BAD_MAC);
		assert_int_equal(mcb_auth_verify(&a2, buf, s, &epoch),
				 MCB_AUTH_OK);
	}
	mcb_auth_fini(&a2);
	/* Too little room, or not what the encoder makes: not signed. */
	n = tenc_json(&e, (char *)buf, sizeof(buf));
	assert_int_equal(mcb_auth_sign(&auth, buf, n,
				       n + MCB_JSON_AUTH_EXTRA - 1, false, 1), 0);
	assert_int_equal(mcb_auth_sign(&auth, buf, n - 1, sizeof(buf), false,
				       1), 0);
	assert_int_equal(mcb_auth_verify(&auth, "", 0, &epoch),
			 MCB_AUTH_UNSIGNED);
}

static void replay_window(void **state)
{
	struct mcb_replay r;

	(void)state;
	mcb_replay_init(&r);
	assert_int_equal(mcb_replay_check(&r, 1, 10), MCB_REPLAY_NEW_EPOCH);
	assert_int_equal(mcb_replay_check(&r, 1, 10), MCB_REPLAY_DUP);
	assert_int_equal(mcb_replay_check(&r, 1, 12), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 11), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 11), MCB_REPLAY_DUP);
	assert_int_equal(mcb_replay_check(&r, 1, 12), MCB_REPLAY_DUP);
	/* Reordered within the window: accepted once. */
	assert_int_equal(mcb_replay_check(&r, 1, 12 + 63), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 13), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 12), MCB_REPLAY_DUP);
	assert_int_equal(mcb_replay_check(&r, 1, 11), MCB_REPLAY_STALE);
	/* A jump past the window forgets the bitmap, not the floor. */
	assert_int_equal(mcb_replay_check(&r, 1, 1000), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 75), MCB_REPLAY_STALE);
	assert_int_equal(mcb_replay_check(&r, 1, 999), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 1000 - 63), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 1, 1000 - 64), MCB_REPLAY_STALE);

	/* Another epoch (a restart, another mapping) has its own window,
	 * and the first keeps its own. */
	assert_int_equal(mcb_replay_check(&r, 2, 1), MCB_REPLAY_NEW_EPOCH);
	assert_int_equal(mcb_replay_check(&r, 2, 1), MCB_REPLAY_DUP);
	assert_int_equal(mcb_replay_check(&r, 1, 1000), MCB_REPLAY_DUP);
	assert_int_equal(mcb_replay_check(&r, 1, 1001), MCB_REPLAY_FRESH);

	/* MCB_REPLAY_EPOCHS remembered; the least recently used goes. */
	for (uint64_t e = 100; e < 100 + MCB_REPLAY_EPOCHS - 2; e++)
		assert_int_equal(mcb_replay_check(&r, e, 5),
				 MCB_REPLAY_NEW_EPOCH);
	assert_int_equal(mcb_replay_check(&r, 1, 1002), MCB_REPLAY_FRESH);
	assert_int_equal(mcb_replay_check(&r, 999, 5), MCB_REPLAY_NEW_EPOCH);
	assert_int_equal(mcb_replay_check(&r, 1, 1002), MCB_REPLAY_DUP);
	assert_int_equal(mcb_replay_check(&r, 2, 1), MCB_REPLAY_NEW_EPOCH);
}

static char dir[] = "/tmp/mcb-test-auth-XXXXXX";

static const char *keyfile(const char *name, const void *data, size_t n,
			   mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

static void key_files(void **state)
{
	static const char hexkey[] = "000102030405060708090a0b0c0d0e0F\n";
	static const char raw[] = "a raw key, 24 bytes long";
	struct mcb_key k;
	char why[256];
	char big[200];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mcb_key_load(&k, keyfile("hex", hexkey, 33, 0600),
				      why, sizeof(why)), 0);
	assert_int_equal(k.len, 16);
	assert_int_equal(k.bytes[15], 0x0f);
	assert_int_equal(mcb_key_load(&k, keyfile("raw", raw, 24, 0400),
				      why, sizeof(why)), 0);
	assert_int_equal(k.len, 24);
	assert_memory_equal(k.bytes, raw, 24);

	/* Readable or writable by others: refused, and the reason says so. */
	assert_int_equal(mcb_key_load(&k, keyfile("g", raw, 24, 0640),
				      why, sizeof(why)), -1);
	assert_non_null(strstr(why, "chmod 600"));
	assert_int_equal(k.len, 0);
	assert_int_equal(mcb_key_load(&k, keyfile("o", raw, 24, 0604),
				      why, sizeof(why)), -1);
	assert_int_equal(mcb_key_load(&k, keyfile("w", raw, 24, 0602),
				      why, sizeof(why)), -1);
	/* Too short (raw and hex), too long, not a file, missing. */
	assert_int_equal(mcb_key_load(&k, keyfile("s", raw, 15, 0600),
				      why, sizeof(why)), -1);
	assert_int_equal(mcb_key_load(&k, keyfile("sh", "00112233", 8, 0600),
				      why, sizeof(why)), -1);
	memset(big, 'x', sizeof(big));
	assert_int_equal(mcb_key_load(&k, keyfile("b", big, 65, 0600),
				      why, sizeof(why)), -1);
	assert_int_equal(mcb_key_load(&k, keyfile("b2", big, sizeof(big),
						  0600), why, sizeof(why)), -1);
	assert_int_equal(mcb_key_load(&k, dir, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(mcb_key_load(&k, "/nonexistent/key", why,
				      sizeof(why)), -1);

	for (const char *n = "hex\0raw\0g\0o\0w\0s\0sh\0b\0b2\0"; *n;
	     n += strlen(n) + 1) {
		char p[128];

		snprintf(p, sizeof(p), "%s/%s", dir, n);
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* An access ACL as the kernel stores it: version 2, sorted entries. */
static int set_acl(const char *path, unsigned gperm, unsigned uid)
{
	unsigned char b[4 + 5 * 8];
	const unsigned ent[5][3] = {
		{ 0x01, 4, ~0u },	/* owner r */
		{ 0x02, 4, uid },	/* named user r */
		{ 0x04, gperm, ~0u },	/* owning group */
		{ 0x10, 4, ~0u },	/* mask r: shows as the group bits */
		{ 0x20, 0, ~0u },	/* others nothing */
	};

	memset(b, 0, sizeof(b));
	b[0] = 2;
	for (int i = 0; i < 5; i++) {
		unsigned char *e = b + 4 + 8 * i;

		e[0] = (unsigned char)ent[i][0];
		e[2] = (unsigned char)ent[i][1];
		for (int j = 0; j < 4; j++)
			e[4 + j] = (unsigned char)(ent[i][2] >> 8 * j);
	}
	return setxattr(path, "system.posix_acl_access", b, sizeof(b), 0);
}

static int cred(const char *name, struct mcb_key *k, char *why)
{
	char p[64];

	snprintf(p, sizeof(p), "cred:%s", name);
	return mcb_key_load(k, p, why, 256);
}

/* cred:NAME reads $CREDENTIALS_DIRECTORY/NAME, with the same refusals. */
static void credentials(void **state)
{
	static const char raw[] = "a raw key, 24 bytes long";
	struct mcb_key k;
	char why[256], link[128];
	const char *p;

	(void)state;
	strcpy(dir, "/tmp/mcb-test-cred-XXXXXX");
	assert_non_null(mkdtemp(dir));
	keyfile("key", raw, 24, 0400);
	/* systemd's directory: 0500, owned by root or the service user. */
	assert_int_equal(chmod(dir, 0500), 0);

	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	assert_int_equal(cred("key", &k, why), -1);
	assert_non_null(strstr(why, "CREDENTIALS_DIRECTORY"));
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "tmp/x", 1), 0);
	assert_int_equal(cred("key", &k, why), -1);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);

	assert_int_equal(cred("key", &k, why), 0);
	assert_int_equal(k.len, 24);
	assert_memory_equal(k.bytes, raw, 24);

	/* Names are one file in the directory, never a path out of it. */
	for (const char *n = "\0.\0..\0../key\0x/key\0"; ; n += strlen(n) + 1) {
		assert_int_equal(cred(n, &k, why), -1);
		assert_non_null(strstr(why, "not a credential name"));
		assert_int_equal(k.len, 0);
		if (!strcmp(n, "x/key"))
			break;
	}
	assert_int_equal(cred("missing", &k, why), -1);
	assert_non_null(strstr(why, "No such file"));
	/* A symlink in it is not followed. */
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(symlink("key", link), 0);
	assert_int_equal(cred("link", &k, why), -1);
	assert_int_equal(unlink(link), 0);

	/* Group or others let in, by mode: refused. */
	keyfile("g", raw, 24, 0440);
	assert_int_equal(cred("g", &k, why), -1);
	assert_non_null(strstr(why, "chmod 600"));
	keyfile("o", raw, 24, 0404);
	assert_int_equal(cred("o", &k, why), -1);

	/*
	 * systemd's way: root's 0400 file plus an ACL giving the service
	 * user read (mode then shows 0440).  Only that user: the owning
	 * group or another named user with access is refused.
	 */
	p = keyfile("acl", raw, 24, 0400);
	if (set_acl(p, 0, (unsigned)geteuid()) == 0) {
		struct stat st;

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0440);
		assert_int_equal(cred("acl", &k, why), 0);
		assert_int_equal(k.len, 24);
		assert_int_equal(set_acl(p, 4, (unsigned)geteuid()), 0);
		assert_int_equal(cred("acl", &k, why), -1);
		assert_non_null(strstr(why, "ACL"));
		assert_int_equal(set_acl(p, 0, (unsigned)geteuid() + 4242), 0);
		assert_int_equal(cred("acl", &k, why), -1);
	} else {
		assert_true(errno == ENOTSUP);
		print_message("no ACLs on %s: ACL cases skipped\n", dir);
	}

	/* Writable directory, foreign owners: refused. */
	assert_int_equal(chmod(dir, 0720), 0);
	assert_int_equal(cred("key", &k, why), -1);
	assert_non_null(strstr(why, "writable"));
	assert_int_equal(chmod(dir, 0500), 0);
	if (geteuid() == 0) {
		snprintf(link, sizeof(link), "%s/key", dir);
		assert_int_equal(chown(link, 4242, 4242), 0);
		assert_int_equal(cred("key", &k, why), -1);
		assert_non_null(strstr(why, "uid 4242"));
		assert_int_equal(chown(link, 0, 0), 0);
		assert_int_equal(chown(dir, 4242, 4242), 0);
		assert_int_equal(cred("key", &k, why), -1);
		assert_non_null(strstr(why, "uid 4242"));
		assert_int_equal(chown(dir, 0, 0), 0);
		assert_int_equal(cred("key", &k, why), 0);
	}

	assert_int_equal(chmod(dir, 0700), 0);
	for (const char *n = "key\0g\0o\0acl\0"; *n; n += strlen(n) + 1) {
		char f[128];

		snprintf(f, sizeof(f), "%s/%s", dir, n);
		assert_int_equal(unlink(f), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_signed),
		cmocka_unit_test(binary_signed),
		cmocka_unit_test(bit_flips),
		cmocka_unit_test(wrong_key_and_unsigned),
		cmocka_unit_test(replay_window),
		cmocka_unit_test(key_files),
		cmocka_unit_test(credentials),
	};

	return cmocka_run_group_tests_name("auth", tests, setup, teardown);
}
