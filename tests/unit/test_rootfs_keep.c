/*
 * test_rootfs_keep: a root filesystem copied into the result cache while
 * it is written (compiler/rootfs_keep.c). Chunks said to be settled are
 * copied early, the rest at the end, and the result does not depend on
 * which went when: the copy holds the final bytes, its holes stay holes,
 * its name is the sum of the whole, and an abort leaves nothing behind.
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
#include "rootfs_keep.h"
#include "rootfs_sum.h"
#include "tmpdir.h"

#define MIB (1u << 20)
#define REGION (4 * MIB + 3 * 4096)	/* a last chunk of three blocks */
#define AT MIB				/* where the region starts */

static const char key[] = "sha256:"
	"3333333333333333333333333333333333333333333333333333333333333333";

static void put(int fd, unsigned char byte, size_t len, uint64_t at)
{
	unsigned char *buf = malloc(len);

	memset(buf, byte, len);
	assert_int_equal(pwrite(fd, buf, len, (off_t)(AT + at)), (ssize_t)len);
	free(buf);
}

/* An image with data in every chunk of the region but a hole in the
 * third, and bytes outside it that are never kept. */
static int make_image(const char *path)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, AT + REGION + MIB), 0);
	put(fd, 0x11, 8192, 0);
	put(fd, 0x22, MIB, MIB);
	put(fd, 0x33, 4096, 3 * MIB + 4096);
	put(fd, 0x44, 4096, 4 * MIB + 4096);
	assert_int_equal(pwrite(fd, "out", 3, AT + REGION), 3);
	return fd;
}

/* content_of - the content file the key names, in cache. */
static char *content_of(const char *cache)
{
	char *path = NULL, line[128], *hit = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/rootfs/keys/%s", cache,
			     key + strlen("sha256:")) > 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(strncmp(line, "xxh128:", 7), 0);
	*strchr(line, ' ') = 0;
	assert_true(asprintf(&hit, "%s/" ROOTFS_CACHE_CONTENT "/%s", cache,
			     line + 7) > 0);
	free(path);
	return hit;
}

static void assert_copy_is_region(const char *image, const char *copy)
{
	unsigned char *want = malloc(REGION), *got = malloc(REGION);
	int fi = open(image, O_RDONLY), fc = open(copy, O_RDONLY);
	struct stat st;

	assert_int_equal(pread(fi, want, REGION, AT), REGION);
	assert_int_equal(pread(fc, got, REGION, 0), REGION);
	assert_memory_equal(want, got, REGION);
	assert_int_equal(fstat(fc, &st), 0);
	assert_int_equal(st.st_size, REGION);
	/* the data is 8 KiB, 1 MiB, 4 KiB and 4 KiB: the rest are holes */
	assert_true((uint64_t)st.st_blocks * 512 <= MIB + 16 * 4096);
	close(fi);
	close(fc);
	free(want);
	free(got);
}

static void test_settled_early_or_late(void **state)
{
	char *image = strdup(tmp_at(state, "image"));
	char *early = strdup(tmp_at(state, "early"));
	char *late = strdup(tmp_at(state, "late"));
	char *hit_early, *hit_late;
	struct rootfs_keep *k;
	struct hpc_err err;
	int fd = make_image(image);

	assert_int_equal(rootfs_keep_start(early, key, image, AT, REGION, &k,
					   &err), 0);
	/* chunk 1 and the short last one settle; chunk 0 only in part */
	rootfs_keep_settled(k, MIB, MIB);
	rootfs_keep_settled(k, 4 * MIB, 3 * 4096);
	rootfs_keep_settled(k, 0, 4096);
	/* then what never settled changes: the end must see it */
	put(fd, 0x55, 4096, 4096);
	put(fd, 0x66, 4096, 3 * MIB + 4096);
	assert_int_equal(rootfs_keep_finish(k, &err), 0);
	hit_early = content_of(early);
	assert_copy_is_region(image, hit_early);
	assert_int_equal(rootfs_cache_check(hit_early, &err), 0);
	/* the same bytes kept all at the end: the same name */
	assert_int_equal(rootfs_keep_start(late, key, image, AT, REGION, &k,
					   &err), 0);
	assert_int_equal(rootfs_keep_finish(k, &err), 0);
	hit_late = content_of(late);
	assert_string_equal(strrchr(hit_late, '/'), strrchr(hit_early, '/'));
	close(fd);
	free(hit_early);
	free(hit_late);
	free(early);
	free(late);
	free(image);
}

static void test_abort_leaves_nothing(void **state)
{
	char *image = strdup(tmp_at(state, "image"));
	char *cache = strdup(tmp_at(state, "cache")), *content = NULL;
	struct rootfs_keep *k;
	struct hpc_err err;
	int fd = make_image(image);

	assert_int_equal(rootfs_keep_start(cache, key, image, AT, REGION, &k,
					   &err), 0);
	rootfs_keep_settled(k, 0, REGION);
	rootfs_keep_abort(k);
	assert_true(asprintf(&content, "%s/" ROOTFS_CACHE_CONTENT, cache) > 0);
	assert_int_equal(count_entries(content), 0);
	close(fd);
	free(content);
	free(cache);
	free(image);
}

static void test_unreadable_image(void **state)
{
	struct rootfs_keep *k = NULL;
	struct hpc_err err;

	assert_int_equal(rootfs_keep_start(tmp_at(state, "cache"), key,
					   "/nonexistent/image", 0, MIB, &k,
					   &err), -ENOENT);
	assert_null(k);
	assert_non_null(strstr(err.msg, "/nonexistent/image"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settled_early_or_late,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_unreadable_image,
						setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
