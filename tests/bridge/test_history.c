// SPDX-License-Identifier: MIT
/* A mapping's history (bridge/history.h): what was put is got back by
 * bridge_seq, byte for byte, until it is dropped oldest first; memory
 * stays what was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "history.h"

static unsigned char dg[70000];

static const void *make(uint64_t seq, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dg[i] = (unsigned char)(seq ^ (i * 7));
	return dg;
}

static bool same(const void *p, uint64_t seq, size_t len)
{
	const unsigned char *q = p;

	for (size_t i = 0; i < len; i++)
		if (q[i] != (unsigned char)(seq ^ (i * 7)))
			return false;
	return true;
}

static void off(void **state)
{
	struct mcb_history h;
	size_t len;

	(void)state;
	assert_int_equal(mcb_history_init(&h, 0, 1000), 0);
	assert_false(mcb_history_on(&h));
	mcb_history_put(&h, 1, make(1, 100), 100);
	assert_null(mcb_history_get(&h, 1, &len));
	assert_int_equal(mcb_history_count(&h), 0);
	mcb_history_free(&h);
}

static void by_seq_and_eviction(void **state)
{
	struct mcb_history h;
	const void *p;
	size_t len;

	(void)state;
	/* 64 KiB: 200-byte datagrams take 204 bytes, 321 fit. */
	assert_int_equal(mcb_history_init(&h, 65536, 1000), 0);
	for (uint64_t s = 1; s <= 300; s++)
		mcb_history_put(&h, s, make(s, 200), 200);
	assert_int_equal(mcb_history_count(&h), 300);
	assert_int_equal(h.first, 1);
	for (uint64_t s = 1; s <= 300; s++) {
		p = mcb_history_get(&h, s, &len);
		assert_non_null(p);
		assert_int_equal(len, 200);
		assert_true(same(p, s, 200));
	}
	assert_null(mcb_history_get(&h, 0, &len));
	assert_null(mcb_history_get(&h, 301, &len));
	/* 1000 more: the oldest go, the held ones stay one run ending at
	 * the newest, within the bytes given. */
	for (uint64_t s = 301; s <= 1300; s++)
		mcb_history_put(&h, s, make(s, 200), 200);
	assert_int_equal(h.next, 1301);
	/* 321 fit; 320 when a wrap left the end of the buffer unused. */
	assert_true(mcb_history_count(&h) == 321 ||
		    mcb_history_count(&h) == 320);
	assert_int_equal(h.st.evicted, h.first - 1);
	assert_int_equal(h.st.stored, 1300);
	assert_null(mcb_history_get(&h, h.first - 1, &len));
	for (uint64_t s = h.first; s <= 1300; s++) {
		p = mcb_history_get(&h, s, &len);
		assert_non_null(p);
		assert_true(same(p, s, 200));
	}
	assert_true(mcb_history_bytes(&h) <= 65536);
	assert_int_equal(mcb_history_bytes(&h), mcb_history_count(&h) * 204);
	mcb_history_free(&h);
}

/* Tiny datagrams: the index (one slot per 64 bytes) bounds the count. */
static void index_bound(void **state)
{
	struct mcb_history h;
	size_t len;

	(void)state;
	assert_int_equal(mcb_history_init(&h, 65536, 1000), 0);
	for (uint64_t s = 1; s <= 5000; s++)
		mcb_history_put(&h, s, make(s, 8), 8);
	assert_int_equal(mcb_history_count(&h), mcb_history_slots(&h));
	assert_int_equal(mcb_history_slots(&h), 1024);
	for (uint64_t s = h.first; s < h.next; s++)
		assert_true(same(mcb_history_get(&h, s, &len), s, 8));
	mcb_history_free(&h);
}

/* Anything that would break the one run starts the history anew. */
static void resets(void **state)
{
	struct mcb_history h;
	size_t len;

	(void)state;
	assert_int_equal(mcb_history_init(&h, 65536, 1000), 0);
	for (uint64_t s = 1; s <= 10; s++)
		mcb_history_put(&h, s, make(s, 100), 100);
	/* Too big to keep: everything before it is gone with it. */
	mcb_history_put(&h, 11, make(11, 1001), 1001);
	assert_int_equal(h.st.too_big, 1);
	assert_int_equal(mcb_history_count(&h), 0);
	assert_null(mcb_history_get(&h, 5, &len));
	mcb_history_put(&h, 12, make(12, 100), 100);
	assert_int_equal(h.first, 12);
	assert_true(same(mcb_history_get(&h, 12, &len), 12, 100));
	/* A seq that does not follow. */
	mcb_history_put(&h, 20, make(20, 100), 100);
	assert_int_equal(h.first, 20);
	assert_int_equal(mcb_history_count(&h), 1);
	mcb_history_free(&h);
}

/* Random sizes up to the largest: every held seq intact, a suffix. */
static void random_sizes(void **state)
{
	struct mcb_history h;
	size_t lens[20001];

	(void)state;
	srand(3);
	assert_int_equal(mcb_history_init(&h, 256 * 1024, 65507), 0);
	for (uint64_t s = 1; s <= 20000; s++) {
		size_t len = rand() % 50 ? (size_t)(rand() % 600 + 1) :
					    (size_t)(rand() % 65507 + 1);

		lens[s] = len;
		mcb_history_put(&h, s, make(s, len), len);
		assert_int_equal(h.next, s + 1);
		assert_true(h.first <= s);
		if (s % 97 == 0) {
			size_t bytes = 0;

			for (uint64_t k = h.first; k <= s; k++) {
				size_t l;
				const void *p = mcb_history_get(&h, k, &l);

				assert_non_null(p);
				assert_int_equal(l, lens[k]);
				assert_true(same(p, k, l));
				bytes += mcb_history_rec_size(l);
			}
			/* What it says it holds, within what it was given;
			 * and a datagram more would not have fit beside. */
			assert_int_equal(mcb_history_bytes(&h), bytes);
			assert_true(bytes <= 256 * 1024);
		}
	}
	mcb_history_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(off),
		cmocka_unit_test(by_seq_and_eviction),
		cmocka_unit_test(index_bound),
		cmocka_unit_test(resets),
		cmocka_unit_test(random_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
