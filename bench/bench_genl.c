// SPDX-License-Identifier: MIT
/*
 * The native source: a netlink socket that multicasts messages into a
 * generic netlink group, and the group's ids by name (libnl): see bench.h.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

int bench_genl_resolve(const char *family_group, uint16_t *family_id,
		       uint32_t *group_id)
{
	char fam[GENL_NAMSIZ];
	const char *slash = strchr(family_group, '/');
	struct nl_sock *sk;
	int f = -1, g = -1;

	if (!slash || slash == family_group ||
	    (size_t)(slash - family_group) >= sizeof(fam) || !slash[1]) {
		fprintf(stderr, "expected FAMILY/GROUP, not %s\n",
			family_group);
		return -1;
	}
	memcpy(fam, family_group, (size_t)(slash - family_group));
	fam[slash - family_group] = '\0';
	sk = nl_socket_alloc();
	if (sk && genl_connect(sk) == 0) {
		f = genl_ctrl_resolve(sk, fam);
		g = genl_ctrl_resolve_grp(sk, fam, slash + 1);
	}
	if (sk)
		nl_socket_free(sk);
	if (f < 0 || g < 0) {
		fprintf(stderr, "generic netlink %s not found\n", family_group);
		return -1;
	}
	*family_id = (uint16_t)f;
	*group_id = (uint32_t)g;
	return 0;
}

int bench_genl_tx_open(struct bench_genl_tx *t, uint32_t group_id,
		       size_t slot)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (group_id < 1 || group_id > 32) {
		fprintf(stderr, "group id %u cannot be sent to (1..32)\n",
			group_id);
		return -1;
	}
	t->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (t->fd < 0) {
		perror("netlink socket");
		return -1;
	}
	/* To the group only: nl_pid 0 would also hand every message to the
	 * kernel's generic netlink, which drops it (not a request), but it
	 * is the same for every path measured. */
	t->dst.nl_family = AF_NETLINK;
	t->dst.nl_groups = 1u << (group_id - 1);
	t->slot = slot;
	t->bufs = calloc(BENCH_BATCH, slot);
	if (!t->bufs) {
		fprintf(stderr, "out of memory\n");
		bench_genl_tx_close(t);
		return -1;
	}
	for (unsigned i = 0; i < BENCH_BATCH; i++) {
		t->iov[i].iov_base = bench_genl_tx_slot(t, i);
		t->msgs[i].msg_hdr.msg_name = &t->dst;
		t->msgs[i].msg_hdr.msg_namelen = sizeof(t->dst);
		t->msgs[i].msg_hdr.msg_iov = &t->iov[i];
		t->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

void bench_genl_tx_close(struct bench_genl_tx *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->bufs);
	t->bufs = NULL;
}

int bench_genl_tx_send(struct bench_genl_tx *t, unsigned n, size_t len)
{
	unsigned done = 0;

	for (unsigned i = 0; i < n; i++)
		t->iov[i].iov_len = len;
	while (done < n) {
		int r = sendmmsg(t->fd, t->msgs + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (unsigned)r;
	}
	return (int)n;
}
