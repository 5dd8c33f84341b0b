/* SPDX-License-Identifier: MIT */
/* The record FIFO against a model: order, contents, walks, accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ring.h"

#define MODEL_MAX 4096

/* Each record: its number, then bytes derived from it. */
struct model {
	uint64_t num[MODEL_MAX];
	size_t len[MODEL_MAX];
	size_t head, count;
	uint64_t next;
};

static void fill(unsigned char *p, size_t len, uint64_t num)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(num * 31 + i);
}

static void check_rec(const unsigned char *p, size_t len, uint64_t num)
{
	uint64_t got;

	memcpy(&got, p, sizeof(got));
	assert_int_equal(got, num);
	for (size_t i = sizeof(got); i < len; i++)
		assert_int_equal(p[i], (unsigned char)(num * 31 + i));
}

static bool push(struct mcbn_ring *r, struct model *m, size_t len)
{
	unsigned char *p = mcbn_ring_push(r, len);

	if (!p)
		return false;
	fill(p, len, m->next);
	memcpy(p, &m->next, sizeof(m->next));
	m->num[(m->head + m->count) % MODEL_MAX] = m->next++;
	m->len[(m->head + m->count) % MODEL_MAX] = len;
	m->count++;
	return true;
}

/* Walk from the head: every record, in order, with its contents. */
static void walk(const struct mcbn_ring *r, const struct model *m)
{
	size_t off, n = 0, sum = 0;

	assert_int_equal(r->count, m->count);
	if (!mcbn_ring_first(r, &off)) {
		assert_int_equal(m->count, 0);
		assert_int_equal(r->used, 0);
		return;
	}
	do {
		size_t i = (m->head + n) % MODEL_MAX;

		check_rec(mcbn_ring_at(r, off), m->len[i], m->num[i]);
		sum += mcbn_ring_footprint(m->len[i]);
		n++;
	} while (mcbn_ring_next(r, &off));
	assert_int_equal(n, m->count);
	/* Used: the records, and at most the end skipped at a wrap. */
	assert_true(r->used >= sum);
	assert_true(r->used <= r->cap);
}

static void pop(struct mcbn_ring *r, struct model *m)
{
	mcbn_ring_pop(r);
	m->head = (m->head + 1) % MODEL_MAX;
	m->count--;
}

static void random_model(void **state)
{
	struct mcbn_ring r;
	struct model m = { 0 };
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(mcbn_ring_init(&r, 4096), 0);
	for (int step = 0; step < 200000; step++) {
		unsigned x = (unsigned)rand_r(&seed);
		size_t len = 8 + x % 300;

		if ((x >> 12) % 3 && m.count < MODEL_MAX) {
			size_t before = r.used;

			/* Refused only when full: there is no room for
			 * it in the bytes not used. */
			if (!push(&r, &m, len))
				assert_true(m.count > 0 &&
					    r.cap - before <
					    2 * mcbn_ring_footprint(len));
		} else if (m.count) {
			pop(&r, &m);
		}
		if (step % 97 == 0)
			walk(&r, &m);
	}
	while (m.count)
		pop(&r, &m);
	walk(&r, &m);
	assert_int_equal(r.used, 0);
	mcbn_ring_fini(&r);
}

/* Full means full: as many records as fit, then none, then one again
 * after a pop, including across the wrap. */
static void full_and_wrap(void **state)
{
	struct mcbn_ring r;
	struct model m = { 0 };
	size_t fp = mcbn_ring_footprint(100);
	unsigned fit;

	(void)state;
	assert_int_equal(mcbn_ring_init(&r, 10 * fp + 40), 0);
	for (fit = 0; push(&r, &m, 100); fit++)
		;
	assert_int_equal(fit, 10);
	walk(&r, &m);
	pop(&r, &m);
	pop(&r, &m);
	/* 40 bytes left at the end: the next goes to the start. */
	assert_true(push(&r, &m, 100));
	assert_true(push(&r, &m, 100));
	assert_false(push(&r, &m, 100));
	assert_int_equal(r.used, r.cap);
	walk(&r, &m);
	/* Popping past the wrap gives the skipped end back. */
	while (m.count > 2)
		pop(&r, &m);
	walk(&r, &m);
	assert_int_equal(r.used, 2 * fp);
	while (m.count)
		pop(&r, &m);
	assert_int_equal(r.used, 0);
	/* Empty again: a record as large as the ring fits. */
	assert_true(push(&r, &m, r.cap - mcbn_ring_footprint(0)));
	assert_false(push(&r, &m, 1));
	pop(&r, &m);
	assert_null(mcbn_ring_push(&r, r.cap));
	mcbn_ring_fini(&r);
}

/* A record that exactly fills the end: the next one wraps without a
 * marker. */
static void exact_end(void **state)
{
	struct mcbn_ring r;
	struct model m = { 0 };
	size_t fp = mcbn_ring_footprint(56);

	(void)state;
	assert_int_equal(mcbn_ring_init(&r, 4 * fp), 0);
	for (int i = 0; i < 4; i++)
		assert_true(push(&r, &m, 56));
	assert_int_equal(r.tail, r.cap);
	pop(&r, &m);
	assert_true(push(&r, &m, 56));
	walk(&r, &m);
	for (int i = 0; i < 3; i++)
		pop(&r, &m);
	walk(&r, &m);
	assert_int_equal(r.head, 0);
	assert_true(push(&r, &m, 56));
	walk(&r, &m);
	mcbn_ring_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_model),
		cmocka_unit_test(full_and_wrap),
		cmocka_unit_test(exact_end),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
