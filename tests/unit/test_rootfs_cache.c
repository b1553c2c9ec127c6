/*
 * test_rootfs_cache: finished root filesystems kept and reused
 * (compiler/rootfs_cache.c): keys that follow every input, a region kept
 * and copied back byte for byte with its holes, and a damaged entry
 * refused and removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rootfs_cache.h"
#include "tmpdir.h"

#define MIB (1u << 20)

static const char *const layers[] = {
	"sha256:1111111111111111111111111111111111111111111111111111111111111111",
	"sha256:2222222222222222222222222222222222222222222222222222222222222222",
};
static const uint8_t seed[DIGEST_LEN] = { 1, 2, 3 };

static void key_of(struct rootfs_cache_inputs in, char ret[DIGEST_STR_LEN])
{
	assert_int_equal(rootfs_cache_key(&in, ret), 0);
}

static void test_key_follows_inputs(void **state)
{
	struct rootfs_cache_inputs in = {
		.layers = layers, .n_layers = 2, .seed = seed,
		.label = "hpc-root-0", .reserve_percent = 5, .time_clamp = -1,
	}, x;
	uint8_t other_seed[DIGEST_LEN] = { 9 };
	char base[DIGEST_STR_LEN], again[DIGEST_STR_LEN], k[DIGEST_STR_LEN];

	key_of(in, base);
	key_of(in, again);
	assert_string_equal(base, again);
	x = in, x.n_layers = 1, key_of(x, k);
	assert_string_not_equal(base, k);
	x = in, x.seed = other_seed, key_of(x, k);
	assert_string_not_equal(base, k);
	x = in, x.label = "hpc-root-1", key_of(x, k);
	assert_string_not_equal(base, k);
	x = in, x.reserve_percent = 6, key_of(x, k);
	assert_string_not_equal(base, k);
	x = in, x.time_clamp = 0, key_of(x, k);
	assert_string_not_equal(base, k);
}

/* A 4 MiB region 1 MiB into a file: data, a hole, data, zeros. */
static char *make_image(const char *dir)
{
	char *path = NULL;
	unsigned char buf[8192];
	int fd;

	assert_true(asprintf(&path, "%s/image", dir) > 0);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 6 * MIB), 0);
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(pwrite(fd, buf, sizeof(buf), MIB), sizeof(buf));
	memset(buf, 0, 4096);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 2 * MIB + 4096),
			 sizeof(buf));
	assert_int_equal(pwrite(fd, "end", 3, 5 * MIB - 3), 3);
	/* outside the region: never kept */
	assert_int_equal(pwrite(fd, "out", 3, 5 * MIB), 3);
	close(fd);
	return path;
}

static void read_region(const char *path, uint64_t off, unsigned char *buf)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 4 * MIB, (off_t)off), 4 * MIB);
	close(fd);
}

static void test_store_and_load(void **state)
{
	const char *dir = *state;
	char *image = make_image(dir), *cache = NULL, *out = NULL, *hit = NULL;
	const char *key = layers[0];
	unsigned char *want = malloc(4 * MIB), *got = malloc(4 * MIB);
	struct hpc_err err;
	uint64_t size = 0;
	int fd;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	assert_false(rootfs_cache_lookup(cache, key, &hit, &size));
	assert_int_equal(rootfs_cache_store(cache, key, image, MIB, 4 * MIB,
					    &err), 0);
	assert_true(rootfs_cache_lookup(cache, key, &hit, &size));
	assert_int_equal(size, 4 * MIB);
	/* copied out 3 MiB into a fresh sparse file */
	assert_true(asprintf(&out, "%s/out", dir) > 0);
	fd = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(ftruncate(fd, 8 * MIB), 0);
	close(fd);
	assert_int_equal(rootfs_cache_load(hit, out, 3 * MIB, size, &err), 0);
	read_region(image, MIB, want);
	read_region(out, 3 * MIB, got);
	assert_memory_equal(want, got, 4 * MIB);
	/* damaged: refused, named, and gone */
	fd = open(hit, O_WRONLY);
	assert_int_equal(pwrite(fd, "x", 1, 100), 1);
	close(fd);
	assert_int_equal(rootfs_cache_load(hit, out, 3 * MIB, size, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_int_equal(access(hit, F_OK), -1);
	free(hit);
	assert_false(rootfs_cache_lookup(cache, key, &hit, &size));
	free(want);
	free(got);
	free(out);
	free(cache);
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_follows_inputs),
		cmocka_unit_test_setup_teardown(test_store_and_load, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
