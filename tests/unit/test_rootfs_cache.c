/*
 * test_rootfs_cache: finished root filesystems kept and reused
 * (compiler/rootfs_cache.c): keys that follow every input, a region kept
 * and copied back byte for byte with its holes, and a damaged entry
 * refused and removed: changed right after it was kept, rewritten with
 * its size and mtime restored, or vouched for by a record of another
 * boot or one no younger than the file's change; cut or grown, gone or
 * unreadable before its copy, or named by a key of another filesystem.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ext2fs/ext2fs.h>

#include "ext4.h"

#include "rootfs_cache.h"
#include "rootfs_keep.h"
#include "tmpdir.h"

#define MIB (1u << 20)

static const char *const layers[] = {
	"sha256:1111111111111111111111111111111111111111111111111111111111111111",
	"sha256:2222222222222222222222222222222222222222222222222222222222222222",
};
static const uint8_t seed[DIGEST_LEN] = { 1, 2, 3 };
static const char label[] = "hpc-root-0";

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

/* put_super - the superblock of a 4 MiB filesystem of seed and label. */
static void put_super(int fd, off_t region)
{
	struct ext2_super_block sb = {
		.s_magic = EXT2_SUPER_MAGIC,
		.s_log_block_size = 2,
		.s_blocks_count = 4 * MIB / 4096,
	};

	ext4_set_ids(&sb, seed);
	memcpy(sb.s_volume_name, label, strlen(label));
	assert_int_equal(pwrite(fd, &sb, sizeof(sb), region + 1024),
			 sizeof(sb));
}

/*
 * A 4 MiB region 1 MiB into a file: data (a superblock in it), a hole,
 * data, zeros.
 */
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
	put_super(fd, MIB);
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

/* store - [off, off + size) of image kept for key, all at the end. */
static int store(const char *cache, const char *key, const char *image,
		 uint64_t off, uint64_t size, struct hpc_err *err)
{
	struct rootfs_keep *k;
	int r = rootfs_keep_start(cache, key, image, off, size, &k, err);

	return r < 0 ? r : rootfs_keep_finish(k, err);
}

/* lookup - rootfs_cache_lookup for the slot of seed and label. */
static int lookup(const char *cache, const char *key, char **ret_hit,
		  uint64_t *ret_size, struct hpc_err *err)
{
	return rootfs_cache_lookup(cache, key, seed, label, ret_hit, ret_size,
				   err);
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
	assert_int_equal(lookup(cache, key, &hit, &size, &err), -ENOENT);
	assert_int_equal(store(cache, key, image, MIB, 4 * MIB, &err), 0);
	assert_int_equal(lookup(cache, key, &hit, &size, &err), 0);
	assert_int_equal(size, 4 * MIB);
	/* copied out 3 MiB into a fresh sparse file */
	assert_true(asprintf(&out, "%s/out", dir) > 0);
	fd = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(ftruncate(fd, 8 * MIB), 0);
	close(fd);
	assert_int_equal(rootfs_cache_load(cache, key, hit, out, 3 * MIB, size, &err), 0);
	read_region(image, MIB, want);
	read_region(out, 3 * MIB, got);
	assert_memory_equal(want, got, 4 * MIB);
	/* damaged: refused, named, and gone */
	fd = open(hit, O_WRONLY);
	assert_int_equal(pwrite(fd, "x", 1, 100), 1);
	close(fd);
	assert_int_equal(rootfs_cache_load(cache, key, hit, out, 3 * MIB, size, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_int_equal(access(hit, F_OK), -1);
	free(hit);
	assert_int_equal(lookup(cache, key, &hit, &size, &err), -ENOENT);
	free(want);
	free(got);
	free(out);
	free(cache);
	free(image);
}

/* kept - a region kept for key in cache; *ret_hit names its content. */
static void kept(const char *dir, const char *cache, const char *key,
		 char **ret_hit)
{
	char *image = make_image(dir);
	struct hpc_err err;
	uint64_t size;

	assert_int_equal(store(cache, key, image, MIB, 4 * MIB, &err), 0);
	assert_int_equal(lookup(cache, key, ret_hit, &size, &err), 0);
	free(image);
}

static char *sized_file(const char *dir, const char *name, off_t size)
{
	char *path = NULL;
	int fd;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
	return path;
}

/* load - rootfs_cache_load of key's hit into a fresh file. */
static int load(const char *dir, const char *cache, const char *key,
		const char *hit, struct hpc_err *err)
{
	char *out = sized_file(dir, "out", 8 * MIB);
	int rc = rootfs_cache_load(cache, key, hit, out, 3 * MIB, 4 * MIB, err);

	free(out);
	return rc;
}

/* damage - one byte of path changed, its size and times put back. */
static void damage(const char *path)
{
	struct stat st;
	struct timespec t[2];
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pwrite(fd, "y", 1, 8), 1);
	t[0] = st.st_atim;
	t[1] = st.st_mtim;
	assert_int_equal(futimens(fd, t), 0);
	close(fd);
}

static char *key_file(const char *cache, const char *key)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/rootfs/keys/%s", cache, key + 7) > 0);
	return path;
}

/*
 * forge - make key's record vouch for hit as it now is, as from boot,
 * the key file's mtime then set to mtime (NULL: left as written).
 */
static void forge(const char *cache, const char *key, const char *hit,
		  const char *boot, const struct timespec *mtime)
{
	char *kp = key_file(cache, key), *name = strrchr(hit, '/') + 1;
	struct timespec t[2] = { { .tv_nsec = UTIME_OMIT } };
	struct stat st;
	FILE *f;

	assert_int_equal(stat(hit, &st), 0);
	f = fopen(kp, "w");
	assert_non_null(f);
	fprintf(f, "xxh128:%s %lld %s\nseen %s %llu %llu %lld %lld.%09ld %lld.%09ld\n",
		name, (long long)st.st_size, key + 7, boot,
		(unsigned long long)st.st_dev,
		(unsigned long long)st.st_ino, (long long)st.st_size,
		(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		(long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	fclose(f);
	if (mtime) {
		t[1] = *mtime;
		assert_int_equal(utimensat(AT_FDCWD, kp, t, 0), 0);
	}
	free(kp);
}

static void this_boot(char ret[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	assert_non_null(f);
	assert_non_null(fgets(ret, 40, f));
	ret[strcspn(ret, "\n")] = '\0';
	fclose(f);
}

/* key_text - the whole text of key's file; the caller frees it. */
static char *key_text(const char *cache, const char *key)
{
	char *kp = key_file(cache, key), *text = NULL;
	size_t len = 0;
	FILE *f = fopen(kp, "r");

	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	free(kp);
	return text;
}

/* The key records the content file; a later load trusts the record. */
static void test_record_kept(void **state)
{
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, *text;
	struct hpc_err err;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	kept(dir, cache, key, &hit);
	text = key_text(cache, key);
	assert_non_null(strstr(text, "\nseen "));
	assert_int_equal(load(dir, cache, key, hit, &err), 0);
	free(text);
	free(hit);
	free(cache);
}

/* Same size, same mtime: only the ctime tells, and it does. */
static void test_same_size_rewrite(void **state)
{
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, *kp;
	struct hpc_err err;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	kept(dir, cache, key, &hit);
	damage(hit);
	assert_int_equal(load(dir, cache, key, hit, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_int_equal(access(hit, F_OK), -1);
	free(hit);
	/* and with the key younger than the change, the record's ctime */
	kept(dir, cache, key, &hit);
	damage(hit);
	kp = key_file(cache, key);
	nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	assert_int_equal(utimensat(AT_FDCWD, kp, NULL, 0), 0);
	assert_int_equal(load(dir, cache, key, hit, &err), -EBADMSG);
	free(kp);
	free(hit);
	free(cache);
}

/* A record of another boot, or as old as the change, is not trusted. */
static void test_record_not_trusted(void **state)
{
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, boot[40];
	struct hpc_err err;
	struct stat st;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	this_boot(boot);
	kept(dir, cache, key, &hit);
	damage(hit);
	forge(cache, key, hit, "00000000-0000-0000-0000-000000000000", NULL);
	assert_int_equal(load(dir, cache, key, hit, &err), -EBADMSG);
	free(hit);
	kept(dir, cache, key, &hit);
	damage(hit);
	assert_int_equal(stat(hit, &st), 0);
	forge(cache, key, hit, boot, &st.st_ctim);
	assert_int_equal(load(dir, cache, key, hit, &err), -EBADMSG);
	free(hit);
	free(cache);
}

/* A record that does not vouch is made again once the digest matches. */
static void test_record_renewed(void **state)
{
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, *text;
	struct hpc_err err;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	kept(dir, cache, key, &hit);
	forge(cache, key, hit, "00000000-0000-0000-0000-000000000000", NULL);
	assert_int_equal(load(dir, cache, key, hit, &err), 0);
	text = key_text(cache, key);
	assert_null(strstr(text, "00000000-0000"));
	assert_non_null(strstr(text, "\nseen "));
	free(text);
	free(hit);
	free(cache);
}

/*
 * Into a file on another file system (tmpfs), where copy_file_range may
 * refuse: the same bytes, by read and write.
 */
static void test_load_elsewhere(void **state)
{
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, *image, *out = NULL;
	unsigned char *want = malloc(4 * MIB), *got = malloc(4 * MIB);
	struct hpc_err err;
	int fd;

	if (access("/dev/shm", W_OK) < 0)
		skip();
	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	kept(dir, cache, key, &hit);
	assert_true(asprintf(&out, "/dev/shm/test_rootfs_cache-%ld",
			     (long)getpid()) > 0);
	fd = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 * MIB), 0);
	close(fd);
	assert_int_equal(rootfs_cache_load(cache, key, hit, out, 3 * MIB,
					   4 * MIB, &err), 0);
	image = make_image(dir);
	read_region(image, MIB, want);
	read_region(out, 3 * MIB, got);
	unlink(out);
	assert_memory_equal(want, got, 4 * MIB);
	free(image);
	free(out);
	free(hit);
	free(cache);
	free(want);
	free(got);
}

/*
 * Cut or grown: its size is not the one kept, so lookup refuses it (the
 * disk would be laid out for a filesystem the file does not hold), and
 * its digest, which covers the length, no longer matches its name.
 */
static void test_resized(void **state)
{
	static const off_t sizes[] = { 2 * MIB, 5 * MIB, 8 * MIB };
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, *kp;
	struct hpc_err err;
	uint64_t size;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		kept(dir, cache, key, &hit);
		assert_int_equal(truncate(hit, sizes[i]), 0);
		assert_int_equal(rootfs_cache_check(hit, &err), -EBADMSG);
		free(hit);
		assert_int_equal(lookup(cache, key, &hit, &size, &err),
				 -EBADMSG);
		assert_non_null(strstr(err.msg, "damaged"));
		kp = key_file(cache, key);
		assert_int_equal(access(kp, F_OK), -1);
		free(kp);
	}
	/* between lookup and load: refused, not copied with its new size */
	kept(dir, cache, key, &hit);
	assert_int_equal(truncate(hit, 8 * MIB), 0);
	assert_int_equal(load(dir, cache, key, hit, &err), -EBADMSG);
	assert_int_equal(access(hit, F_OK), -1);
	free(hit);
	free(cache);
}

/* Gone between lookup and load: unusable, named, as a damaged one. */
static void test_gone_before_load(void **state)
{
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL;
	struct hpc_err err;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	kept(dir, cache, key, &hit);
	assert_int_equal(unlink(hit), 0);
	assert_int_equal(load(dir, cache, key, hit, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, hit));
	free(hit);
	free(cache);
}

/*
 * A key naming another slot's filesystem (another seed or label): its
 * superblock says so, and lookup drops the key, not the content.
 */
static void test_other_filesystem(void **state)
{
	static const uint8_t other_seed[DIGEST_LEN] = { 7 };
	const char *dir = *state, *key = layers[0];
	char *cache = NULL, *hit = NULL, *again = NULL, *kp;
	struct hpc_err err;
	uint64_t size;

	assert_true(asprintf(&cache, "%s/cache", dir) > 0);
	kept(dir, cache, key, &hit);
	assert_int_equal(rootfs_cache_lookup(cache, key, other_seed, label,
					     &again, &size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "superblock"));
	kp = key_file(cache, key);
	assert_int_equal(access(kp, F_OK), -1);
	assert_int_equal(access(hit, F_OK), 0);
	free(hit);
	kept(dir, cache, key, &hit);
	assert_int_equal(rootfs_cache_lookup(cache, key, seed, "hpc-root-1",
					     &again, &size, &err), -EBADMSG);
	assert_int_equal(access(kp, F_OK), -1);
	free(kp);
	free(hit);
	free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_follows_inputs),
		cmocka_unit_test_setup_teardown(test_store_and_load, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_record_kept, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_same_size_rewrite,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_record_not_trusted,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_record_renewed, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_elsewhere, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_resized, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_gone_before_load,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_other_filesystem,
						setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
