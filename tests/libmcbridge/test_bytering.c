// SPDX-License-Identifier: MIT
/* The byte ring (lib/bytering.h): order, wrap, eviction, refusal, against
 * a model of what it must hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/bytering.h"

/* The record's bytes say which record it is. */
static void fill(void *p, uint64_t key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((unsigned char *)p)[i] = (unsigned char)(key * 31 + i);
}

static bool intact(struct mcb_ring_rec *rec)
{
	const unsigned char *p = mcb_ring_data(rec);

	for (size_t i = 0; i < rec->len; i++)
		if (p[i] != (unsigned char)(rec->key * 31 + i))
			return false;
	return true;
}

static void push_pop_wrap(void **state)
{
	struct mcb_ring r;
	size_t ev = 0;
	void *p;

	(void)state;
	assert_int_equal(mcb_ring_init(&r, 1000), 0);
	assert_int_equal(r.size, 1000);
	assert_null(mcb_ring_oldest(&r));
	/* 1000 bytes: three records of 16 + 304 = 320 bytes fit. */
	for (uint64_t k = 1; k <= 3; k++) {
		p = mcb_ring_push(&r, k, 300, false, NULL);
		assert_non_null(p);
		fill(p, k, 300);
	}
	assert_int_equal(r.count, 3);
	assert_int_equal(r.used, 960);
	/* No room without eviction: refused, nothing changed. */
	assert_null(mcb_ring_push(&r, 4, 300, false, NULL));
	assert_int_equal(r.count, 3);
	/* With: the oldest goes, the new one wraps to the start. */
	p = mcb_ring_push(&r, 4, 300, true, &ev);
	assert_non_null(p);
	fill(p, 4, 300);
	assert_int_equal(ev, 1);
	assert_true(r.wrapped);
	assert_int_equal(mcb_ring_offset(&r, p), 0);
	assert_int_equal(mcb_ring_oldest(&r)->key, 2);
	for (uint64_t k = 2; k <= 4; k++) {
		struct mcb_ring_rec *rec = mcb_ring_oldest(&r);

		assert_int_equal(rec->key, k);
		assert_true(intact(rec));
		mcb_ring_pop(&r);
	}
	assert_null(mcb_ring_oldest(&r));
	assert_int_equal(r.used, 0);
	/* Never fits: refused even with eviction. */
	assert_null(mcb_ring_push(&r, 9, 1000, true, &ev));
	/* Exactly the whole ring. */
	assert_non_null(mcb_ring_push(&r, 9, 1000 - 16, true, &ev));
	assert_int_equal(r.used, 1000);
	mcb_ring_free(&r);
}

/* Random sizes against a model queue: every record comes out intact and
 * in order, eviction drops exactly the oldest, used bytes add up. */
static void model(void **state)
{
	enum { N = 20000, Q = 4096 };
	static uint64_t keys[Q];
	static size_t lens[Q];
	size_t qh = 0, qt = 0;
	struct mcb_ring r;
	uint64_t key = 0;

	(void)state;
	srand(7);
	assert_int_equal(mcb_ring_init(&r, 8192 + 8), 0);
	for (int i = 0; i < N; i++) {
		int op = rand() % 10;

		if (op < 6) {
			size_t len = (size_t)(rand() % 700), ev = 0;
			bool evict = op < 3;
			bool fits = mcb_ring_fits(&r, len);
			void *p = mcb_ring_push(&r, ++key, len, evict, &ev);

			/* Without eviction, it says what push does. */
			if (!evict)
				assert_int_equal(fits, p != NULL);

			for (size_t k = 0; k < ev; k++)
				qt++;
			if (!p) {
				assert_false(evict);
				continue;
			}
			fill(p, key, len);
			keys[qh % Q] = key;
			lens[qh % Q] = len;
			qh++;
		} else if (qh != qt) {
			struct mcb_ring_rec *rec = mcb_ring_oldest(&r);

			assert_non_null(rec);
			assert_int_equal(rec->key, keys[qt % Q]);
			assert_int_equal(rec->len, lens[qt % Q]);
			assert_true(intact(rec));
			mcb_ring_pop(&r);
			qt++;
		}
		assert_int_equal(r.count, qh - qt);
		{
			size_t used = 0;

			for (size_t k = qt; k < qh; k++)
				used += mcb_ring_rec_size(lens[k % Q]);
			assert_int_equal(r.used, used);
			assert_true(r.used <= r.size);
		}
		if (qh != qt)
			assert_int_equal(mcb_ring_oldest(&r)->key, keys[qt % Q]);
		/* A walk by offset sees the model's records, in order. */
		{
			size_t off, k = qt;
			bool more = mcb_ring_first(&r, &off);

			assert_int_equal(more, qh != qt);
			while (more) {
				assert_true(k < qh);
				assert_int_equal(mcb_ring_at(&r, off)->key,
						 keys[k % Q]);
				k++;
				more = mcb_ring_next(&r, &off);
			}
			assert_int_equal(k, qh);
		}
	}
	mcb_ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_pop_wrap),
		cmocka_unit_test(model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
