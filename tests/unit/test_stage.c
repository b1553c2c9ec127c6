/*
 * test_stage: the bytes pass one keeps for pass two (packer/stage.c),
 * read back as they were put: files side by side in one buffered write,
 * a put larger than the buffer, a sparse file whose hole is skipped, a
 * file nothing was put for, the order of the runs handed over, and the
 * space given back as pass two reads or when a layer is given up.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stage.h"
#include "tmpdir.h"

#define MIB (1u << 20)

/* What stage_read handed over: a copy of the file, and its runs. */
struct got {
	unsigned char *buf;
	uint64_t size, next, bytes;
	int runs;
};

static int take(uint64_t off, const void *buf, size_t len, void *arg)
{
	struct got *g = arg;

	assert_true(off >= g->next);	/* rising offsets */
	assert_true(off + len <= g->size);
	memcpy(g->buf + off, buf, len);
	g->next = off + len;
	g->bytes += len;
	g->runs++;
	return 0;
}

static void read_back(struct stage *s, uint64_t base, uint64_t size,
		      struct got *g)
{
	*g = (struct got){ .buf = calloc(1, size ? size : 1), .size = size };
	assert_non_null(g->buf);
	assert_int_equal(stage_read(s, base, size, take, g), 0);
}

static void pattern(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + seed);
}

static void test_small_files_side_by_side(void **state)
{
	unsigned char a[100], b[5000], c[1];
	uint64_t at_a, at_b, at_c;
	struct stage *s;
	struct got g;

	pattern(a, sizeof(a), 1);
	pattern(b, sizeof(b), 2);
	c[0] = 0x5a;
	assert_int_equal(stage_new(*state, &s), 0);
	at_a = stage_reserve(s, sizeof(a));
	at_b = stage_reserve(s, sizeof(b));
	at_c = stage_reserve(s, sizeof(c));
	assert_true(at_b >= at_a + sizeof(a) && at_b % 4096 == 0);
	assert_int_equal(stage_put(s, at_a, a, sizeof(a)), 0);
	/* b comes in two parts, as libarchive may hand it over */
	assert_int_equal(stage_put(s, at_b, b, 3000), 0);
	assert_int_equal(stage_put(s, at_b + 3000, b + 3000, 2000), 0);
	assert_int_equal(stage_put(s, at_c, c, 1), 0);
	assert_int_equal(stage_flush(s), 0);

	read_back(s, at_b, sizeof(b), &g);
	assert_memory_equal(g.buf, b, sizeof(b));
	free(g.buf);
	read_back(s, at_a, sizeof(a), &g);
	assert_memory_equal(g.buf, a, sizeof(a));
	free(g.buf);
	read_back(s, at_c, sizeof(c), &g);
	assert_int_equal(g.buf[0], 0x5a);
	free(g.buf);
	stage_free(s);
}

static void test_large_and_sparse(void **state)
{
	size_t big = 3 * MIB + 123;
	unsigned char *p = malloc(big), tail[10] = "far data!";
	uint64_t at_big, at_sparse, size = 64ull * MIB;
	struct stage *s;
	struct got g;

	assert_non_null(p);
	pattern(p, big, 3);
	assert_int_equal(stage_new(*state, &s), 0);
	at_big = stage_reserve(s, big);
	at_sparse = stage_reserve(s, size);
	/* past the buffer: written at once */
	assert_int_equal(stage_put(s, at_big, p, big), 0);
	/* a sparse file: a head, a hole of about 64 MiB, a tail */
	assert_int_equal(stage_put(s, at_sparse, "head", 4), 0);
	assert_int_equal(stage_put(s, at_sparse + size - sizeof(tail), tail,
				   sizeof(tail)), 0);

	read_back(s, at_big, big, &g);
	assert_int_equal(g.bytes, big);
	assert_memory_equal(g.buf, p, big);
	free(g.buf);
	read_back(s, at_sparse, size, &g);
	assert_memory_equal(g.buf, "head", 4);
	assert_memory_equal(g.buf + size - sizeof(tail), tail, sizeof(tail));
	/* the hole was not read (where the host filesystem reports it) */
	assert_true(g.bytes < size);
	for (uint64_t i = 4; i < size - sizeof(tail); i++)
		if (g.buf[i])
			fail_msg("byte %llu of the hole is not zero",
				 (unsigned long long)i);
	free(g.buf);
	stage_free(s);
	free(p);
}

static void test_nothing_put(void **state)
{
	struct stage *s;
	struct got g;
	uint64_t at;

	assert_int_equal(stage_new(*state, &s), 0);
	at = stage_reserve(s, 10000);
	read_back(s, at, 10000, &g);
	assert_int_equal(g.bytes, 0);
	free(g.buf);
	stage_free(s);
}

/* Space goes back as pass two reads, and all of a layer given up. */
static void test_release_and_discard(void **state)
{
	size_t len = 8 * MIB;
	unsigned char *p = malloc(len);
	uint64_t a, b;
	struct stage *s;

	assert_non_null(p);
	pattern(p, len, 5);
	assert_int_equal(stage_new(*state, &s), 0);
	a = stage_reserve(s, len);
	b = stage_reserve(s, len);
	assert_int_equal(stage_put(s, a, p, len), 0);
	assert_int_equal(stage_put(s, b, p, len), 0);
	assert_int_equal(stage_flush(s), 0);
	assert_true(stage_held(s) >= 2 * len);
	/* a little read is not worth a release */
	stage_release(s, a + 4096);
	assert_true(stage_held(s) >= 2 * len);
	stage_release(s, a + len);
	assert_true(stage_held(s) < 2 * len);
	assert_true(stage_held(s) >= len);
	stage_discard(s, b);
	assert_true(stage_held(s) < len);
	stage_free(s);
	free(p);
}

static void test_no_such_directory(void **state)
{
	struct stage *s = NULL;

	assert_int_equal(stage_new(tmp_at(state, "missing"), &s), -ENOENT);
	assert_null(s);
	stage_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_files_side_by_side,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_large_and_sparse,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_nothing_put, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_release_and_discard,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_no_such_directory,
						setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
