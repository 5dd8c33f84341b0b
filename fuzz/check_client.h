/* SPDX-License-Identifier: MIT */
#ifndef FUZZ_CHECK_CLIENT_H
#define FUZZ_CHECK_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* Aborts unless the client decodes buf as this kind and these seqs. */
void check_client_decodes(const void *buf, size_t len, int kind,
			  uint64_t bridge_seq, int has_kseq, uint64_t kseq);

#endif
