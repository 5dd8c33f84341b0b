// SPDX-License-Identifier: MIT
/* Batched receiving into preallocated slots: see bench.h. */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bench_mmsg_init(struct bench_mmsg *m, unsigned n, size_t slot,
		    size_t ctl)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
	m->slot = slot;
	m->ctl = ctl;
	m->msgs = calloc(n, sizeof(*m->msgs));
	m->iov = calloc(n, sizeof(*m->iov));
	m->bufs = malloc((size_t)n * slot);
	m->cbufs = calloc(n, ctl ? ctl : 1);
	if (!m->msgs || !m->iov || !m->bufs || !m->cbufs) {
		fprintf(stderr, "out of memory for receive slots\n");
		bench_mmsg_free(m);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		m->iov[i].iov_base = m->bufs + (size_t)i * slot;
		m->iov[i].iov_len = slot;
		m->msgs[i].msg_hdr.msg_iov = &m->iov[i];
		m->msgs[i].msg_hdr.msg_iovlen = 1;
		if (ctl)
			m->msgs[i].msg_hdr.msg_control = m->cbufs + i * ctl;
	}
	return 0;
}

void bench_mmsg_free(struct bench_mmsg *m)
{
	free(m->msgs);
	free(m->iov);
	free(m->bufs);
	free(m->cbufs);
	m->cbufs = NULL;
	m->msgs = NULL;
	m->iov = NULL;
	m->bufs = NULL;
}

int bench_mmsg_recv(struct bench_mmsg *m, int fd)
{
	int n;

	for (unsigned i = 0; i < m->n; i++) {
		m->msgs[i].msg_hdr.msg_flags = 0;
		m->msgs[i].msg_hdr.msg_controllen = m->ctl;
	}
	n = recvmmsg(fd, m->msgs, m->n, MSG_WAITFORONE, NULL);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}
