/*
 * rootfs_cache: finished root filesystems reused between builds. See
 * rootfs_cache.h.
 *
 * A result is copied out through one loop (copy_region): it walks the
 * source's data with SEEK_DATA and SEEK_HOLE and hands each run to
 * copy_file_range, so the target keeps the holes and the bytes never
 * pass through this process. A sum, where one is needed, is taken on a
 * second thread from the same file while the copy runs. Results are
 * copied in by rootfs_keep, while pass two writes them.
 */
#include "rootfs_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <ext2fs/ext2fs.h>

#include "cache.h"
#include "cleanup.h"
#include "ext4.h"
#include "job.h"
#include "rootfs_sum.h"
#include "span.h"

#define KEY_FORMAT "hpc-rootfs-cache-5"
#define BLOCK 4096u
#define CHUNK (1u << 20)
/* copied into an image: handed to the disk this much at a time */
#define WRITE_BACK (16u << 20)
/* the content sum: XXH3's 128 bits, in their canonical (big-endian)
 * bytes; its text is SUM_PREFIX and the hex of those */
#define SUM_PREFIX "xxh128:"
#define SUM_HEX_LEN (2 * ROOTFS_SUM_LEN + 1)
#define SUM_STR_LEN (sizeof(SUM_PREFIX) - 1 + SUM_HEX_LEN)

static void sum_hex(const uint8_t sum[ROOTFS_SUM_LEN], char ret[SUM_HEX_LEN])
{
	for (size_t i = 0; i < ROOTFS_SUM_LEN; i++)
		snprintf(ret + 2 * i, 3, "%02x", sum[i]);
}

bool rootfs_cache_is_content_name(const char *name)
{
	return strlen(name) == 2 * ROOTFS_SUM_LEN &&
	       strspn(name, "0123456789abcdef") == 2 * ROOTFS_SUM_LEN;
}

/* sum_parse - "xxh128:HEX" as its hex: 0, or -EINVAL. */
static int sum_parse(const char *text, char ret[SUM_HEX_LEN])
{
	size_t n = strlen(SUM_PREFIX);

	if (strncmp(text, SUM_PREFIX, n) ||
	    !rootfs_cache_is_content_name(text + n))
		return -EINVAL;
	memcpy(ret, text + n, SUM_HEX_LEN);
	return 0;
}

static void put_str(struct digest_ctx *ctx, const char *s)
{
	digest_update(ctx, s, strlen(s) + 1);
}

int rootfs_cache_key(const struct rootfs_cache_inputs *in,
		     char ret[DIGEST_STR_LEN])
{
	struct digest_ctx *ctx;
	uint8_t self[DIGEST_LEN], sum[DIGEST_LEN];
	const char *lib = NULL;
	char num[64];
	int r = digest_self(self);

	if (r < 0)
		return r;
	ctx = digest_new();
	put_str(ctx, KEY_FORMAT);
	digest_update(ctx, self, sizeof(self));
	/* the libraries that read the layers and lay the filesystem out:
	 * an upgrade of either must not meet a result of the old one */
	put_str(ctx, archive_version_string());
	(void)ext2fs_get_library_version(&lib, NULL);
	put_str(ctx, lib ? lib : "");
	digest_update(ctx, in->seed, DIGEST_LEN);
	put_str(ctx, in->label ? in->label : "");
	snprintf(num, sizeof(num), "%u %lld %zu", in->reserve_percent,
		 (long long)in->time_clamp, in->n_layers);
	put_str(ctx, num);
	for (size_t i = 0; i < in->n_layers; i++)
		put_str(ctx, in->layers[i]);
	digest_final(ctx, sum);
	digest_free(ctx);
	digest_format(sum, ret);
	return 0;
}

static int io_fail(struct hpc_err *err, const char *what, const char *path)
{
	return err_set(err, -errno, "cannot %s '%s': %s", what, path,
		       strerror(errno));
}

/* A damaged entry's fate, for its message: "removed", or why it is not. */
struct removal {
	char text[96];
};

static const char *remove_entry(const char *path, struct removal *how)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return "removed";
	snprintf(how->text, sizeof(how->text), "left as it is (%s)",
		 strerror(errno));
	return how->text;
}

/* remove_said - remove path, and say so after err's message: ", WHAT…". */
static void remove_said(struct hpc_err *err, const char *what,
			const char *path)
{
	size_t n = strlen(err->msg);
	struct removal how;

	snprintf(err->msg + n, sizeof(err->msg) - n, ", %s%s", what,
		 remove_entry(path, &how));
}

static char *content_path(const char *cache, const char *hex)
{
	return xasprintf("%s/" ROOTFS_CACHE_CONTENT "/%s", cache, hex);
}

/* key_file - CACHE/rootfs/keys/NAME, NAME being a key's hex. */
static char *key_file(const char *cache, const char *name)
{
	return xasprintf("%s/rootfs/keys/%s", cache, name);
}

static char *key_path(const char *cache, const char *key)
{
	return key_file(cache, key + 7);
}

/*
 * parse_key - the first line of the key named name, "xxh128:HEX SIZE
 * NAME": 0 or -EINVAL. The key's own name in it tells a key copied over
 * another, whose filesystem the superblock's check alone may take for
 * this one (the seed it checks covers the layers, not the clamp of
 * times or the reserve).
 */
static int parse_key(char *text, const char *name, char hex[SUM_HEX_LEN],
		     uint64_t *ret_size)
{
	unsigned long long size;
	char *end, *self;

	text[strcspn(text, "\n")] = '\0';
	end = strchr(text, ' ');
	self = end ? strchr(end + 1, ' ') : NULL;
	if (!self || strcmp(self + 1, name))
		return -EINVAL;
	*end++ = '\0';
	*self = '\0';
	/* digits only: strtoull would take a sign, spaces, and wrap */
	if (!*end || strspn(end, "0123456789") != strlen(end) ||
	    strlen(end) > 19)
		return -EINVAL;
	errno = 0;
	size = strtoull(end, &end, 10);
	if (errno || sum_parse(text, hex) < 0 || !size || size % (1 << 20))
		return -EINVAL;
	*ret_size = size;
	return 0;
}

/*
 * read_key_file - the content file the key at kp names, and the size it
 * had when it was kept. Returns 0; -ENOENT when there is no key; or
 * -EBADMSG, with what is wrong in err (after the key's name), for a key
 * no build can use.
 */
static int read_key_file(const char *cache, const char *kp, char **ret_path,
			 uint64_t *ret_size, struct hpc_err *err)
{
	char hex[SUM_HEX_LEN], *text = NULL;
	struct stat st;
	size_t len;
	int r;

	/* a FIFO put there would keep open(2) waiting for a writer */
	if (lstat(kp, &st) < 0)
		return errno == ENOENT ? -ENOENT : io_fail(err, "read", kp);
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EBADMSG, "not a regular file");
	r = read_file(kp, 512, &text, &len, NULL);
	if (r == -ENOENT)
		return r;	/* removed meanwhile by an upkeep */
	if (r < 0)
		r = err_set(err, -EBADMSG, "cannot be read (%s)",
			    strerror(-r));
	else if (parse_key(text, strrchr(kp, '/') + 1, hex, ret_size) < 0)
		r = err_set(err, -EBADMSG, "damaged");
	else
		*ret_path = content_path(cache, hex);
	free(text);
	return r;
}

/*
 * check_super - the content file must hold the filesystem this slot
 * would get (its UUID and hash seed come from seed, its label is the
 * partition's) and as large as recorded: a key copied over another
 * names another filesystem, one the digest alone would accept.
 */
static int check_super(const char *cache, const char *key, const char *path,
		       const uint8_t *seed, const char *label, uint64_t size,
		       struct hpc_err *err)
{
	struct ext2_super_block sb;
	struct removal how;
	char *kp;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0) {
		(void)io_fail(err, "open", path);
		return -EBADMSG;
	}
	if (pread(fd, &sb, sizeof(sb), 1024) != (ssize_t)sizeof(sb))
		memset(&sb, 0, sizeof(sb));
	close(fd);
	if (!ext4_super_is(&sb, seed, label, size)) {
		kp = key_path(cache, key);
		r = err_set(err, -EBADMSG, "cached root filesystem '%s' is not "
			    "the one of %s (its superblock differs), its key "
			    "%s", path, label, remove_entry(kp, &how));
		free(kp);
	}
	return r;
}

/*
 * check_content - a key's content file is there as a regular file of the
 * size the key recorded. Returns 0, -ENOENT when it is gone (a prune
 * took it), or -EBADMSG with a message: something else in its place is
 * removed, unless a directory; of another size, it stays (which of the
 * two is wrong cannot be told here, and other keys may name it: verify
 * judges it by its sum).
 */
static int check_content(const char *path, uint64_t size,
			 struct hpc_err *err)
{
	struct removal how;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			log_debug("cached root filesystem '%s' is gone, "
				  "rebuilding it", path);
		return errno == ENOENT ? -ENOENT : io_fail(err, "read", path);
	}
	/* the disk is laid out for the recorded size: no other will do */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size != size)
		return err_set(err, -EBADMSG, "cached root filesystem '%s' is "
			       "damaged, or its key is (%lld bytes where the "
			       "key recorded %llu)", path,
			       (long long)st.st_size, (unsigned long long)size);
	if (S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		return err_set(err, -EBADMSG, "cached root filesystem '%s' is "
			       "a directory, left as it is", path);
	return err_set(err, -EBADMSG, "cached root filesystem '%s' is not a "
		       "regular file, %s", path, remove_entry(path, &how));
}

/*
 * each_key - fn(the content file's name, arg) for each key, until fn
 * returns non-zero (which is returned). A key that cannot be read or
 * parsed, or a keys directory that cannot be listed, leaves what the
 * keys name unknown: -EAGAIN.
 */
static int each_key(const char *cache, int (*fn)(const char *, void *),
		    void *arg)
{
	char *dir = xasprintf("%s/rootfs/keys", cache), *kp, *path;
	struct dirent *de;
	uint64_t size;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		r = errno == ENOENT ? 0 : -EAGAIN;
	while (d && r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		kp = xasprintf("%s/%s", dir, de->d_name);
		path = NULL;
		r = read_key_file(cache, kp, &path, &size, NULL);
		if (r == 0)
			r = fn(strrchr(path, '/') + 1, arg);
		else
			r = r == -ENOENT ? 0 : -EAGAIN;	/* gone meanwhile */
		free(path);
		free(kp);
	}
	if (d)
		closedir(d);
	free(dir);
	return r;
}

static int is_name(const char *content, void *name)
{
	return !strcmp(content, name);
}

static int add_name(const char *content, void *names)
{
	strv_push(names, content);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* read_names - what the keys name now, sorted, into k; or unknown. */
static void read_names(const char *cache, struct rootfs_cache_names *k)
{
	if (each_key(cache, add_name, &k->names) < 0) {
		k->known = -1;
		return;
	}
	while (k->names && k->names[k->n])
		k->n++;
	if (k->n)
		qsort(k->names, k->n, sizeof(*k->names), cmp_names);
	k->known = 1;
}

bool rootfs_cache_unnamed(const char *cache, struct rootfs_cache_names *k,
			  const char *name)
{
	if (!k->known)
		read_names(cache, k);
	if (k->known < 0 ||
	    (k->n && bsearch(&name, k->names, k->n, sizeof(*k->names),
			     cmp_names)))
		return false;
	/* the names were read before: a key written since counts too */
	return each_key(cache, is_name, (void *)name) == 0;
}

void rootfs_cache_names_release(struct rootfs_cache_names *k)
{
	strv_free(k->names);
	*k = (struct rootfs_cache_names){ 0 };
}

int rootfs_cache_check_key(const char *cache, const char *name,
			   struct hpc_err *err)
{
	char *kp = key_file(cache, name), *path = NULL;
	uint64_t size;
	struct stat st;
	int r = read_key_file(cache, kp, &path, &size, err);

	if (r == 0 && lstat(path, &st) < 0)
		r = err_set(err, -EBADMSG, "it names '%s', which is gone", path);
	else if (r == 0 && !S_ISREG(st.st_mode))
		r = err_set(err, -EBADMSG, "it names '%s', which is not a "
			    "regular file", path);
	else if (r == 0 && (uint64_t)st.st_size != size)
		r = err_set(err, -EBADMSG, "it records %llu bytes for '%s', "
			    "which has %lld", (unsigned long long)size, path,
			    (long long)st.st_size);
	free(path);
	free(kp);
	return r;
}

/*
 * is_private - whether the results can be trusted: their directories are
 * there and only this user can change them, since another could plant a
 * key and a content file named by its true sum.
 */
static bool is_private(const char *cache)
{
	static const char *const dirs[] = {
		"rootfs", "rootfs/keys", ROOTFS_CACHE_CONTENT,
	};
	bool ok = true;
	char *path;

	for (size_t i = 0; ok && i < ARRAY_SIZE(dirs); i++) {
		path = xasprintf("%s/%s", cache, dirs[i]);
		ok = access(path, F_OK) == 0;
		if (ok && !cache_is_private(path)) {
			log_debug("'%s' is not private to this user (another "
				  "owns it or may write in it), not reused",
				  path);
			ok = false;
		}
		free(path);
	}
	return ok;
}

int rootfs_cache_lookup(const char *cache, const char *key,
			const uint8_t *seed, const char *label,
			char **ret_path, uint64_t *ret_size,
			struct hpc_err *err)
{
	char *path = NULL, *kp;
	uint64_t size = 0;
	int r = -ENOENT;

	if (!is_private(cache))
		goto out;
	kp = key_path(cache, key);
	/* what cannot be used goes, so the result kept next takes its place */
	r = read_key_file(cache, kp, &path, &size, err);
	if (r == -EBADMSG) {
		err_prefix(err, "cached result key '%s'", kp);
		remove_said(err, "", kp);
	}
	if (r == 0) {
		r = check_content(path, size, err);
		if (r == -EBADMSG)
			remove_said(err, "its key ", kp);
	}
	free(kp);
	if (r < 0)
		goto out;
	r = check_super(cache, key, path, seed, label, size, err);
	if (r < 0)
		goto out;
	*ret_path = path;
	*ret_size = size;
	path = NULL;
out:
	free(path);
	return r;
}

/* A part of a file: the bytes [off, off + size) of fd. */
/*
 * write_at - all of buf at off. A short write sets no errno, so it is
 * retried: the next call says why (ENOSPC, EFBIG), where a test of the
 * count alone would report whatever errno an earlier call left.
 */
static int write_at(int fd, const void *buf, size_t len, off_t off,
		    const char *name, struct hpc_err *err)
{
	int r = pwrite_all(fd, buf, len, (uint64_t)off);

	if (r < 0)
		errno = -r;
	return r < 0 ? io_fail(err, "write", name) : 0;
}

/*
 * A digest taken on a thread of its own, from a descriptor of its own,
 * while the caller copies the same bytes: the copy costs what the larger
 * of the two costs, not their sum.
 */
struct hash_job {
	struct span span;
	struct job job;
	uint8_t sum[ROOTFS_SUM_LEN];
	int rc;
	struct hpc_err err;
};

static void *hash_run(void *arg)
{
	struct hash_job *j = arg;

	j->rc = rootfs_sum_span(&j->span, j->sum, &j->err);
	return NULL;
}

/* hash_start - digest [off, off + size) of path, as a job. */
static int hash_start(struct hash_job *j, const char *path, uint64_t off,
		      uint64_t size, struct hpc_err *err)
{
	*j = (struct hash_job){ .span = { .name = path, .off = off,
					  .size = size } };
	j->span.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (j->span.fd < 0)
		return io_fail(err, "open", path);
	job_start(&j->job, hash_run, j);
	return 0;
}

/* hash_join - the job's result; its digest is in j->sum. */
static int hash_join(struct hash_job *j, struct hpc_err *err)
{
	job_wait(&j->job);
	close(j->span.fd);
	if (j->rc < 0 && err)
		*err = j->err;
	return j->rc;
}

/* Where a copy reads and writes. */
struct region {
	struct span src;
	int dst;
	const char *dst_name;
	uint64_t dst_off;
	bool no_copy_range;	/* copy_file_range refused: read and write */
	bool write_back;	/* start writing each piece to disk at once */
	bool src_failed;	/* the failure was the source's, not the target's */
	unsigned char *buf;
};

/*
 * copy_chunk - [at, at + len) by read and write, its zero blocks left
 * as holes, for when copy_file_range cannot join the two files.
 */
static int copy_chunk(struct region *g, uint64_t at, size_t len,
		      struct hpc_err *err)
{
	size_t run = 0, b;
	int r;

	if (!g->buf)
		g->buf = xmalloc(CHUNK);
	r = span_read(&g->src, g->buf, len, at, err);
	g->src_failed = r < 0;
	for (b = 0; b < len && r == 0; b += BLOCK) {
		if (!span_block_is_zero(g->buf + b, BLOCK))
			continue;
		r = write_at(g->dst, g->buf + run, b - run,
			     (off_t)(g->dst_off + at + run), g->dst_name, err);
		run = b + BLOCK;
	}
	return r < 0 ? r : write_at(g->dst, g->buf + run, len - run,
				     (off_t)(g->dst_off + at + run),
				     g->dst_name, err);
}

/* copy_fail - copy_file_range's errno, blamed on the side it concerns. */
static int copy_fail(struct region *g, struct hpc_err *err)
{
	if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG ||
	    errno == EROFS)
		return io_fail(err, "write", g->dst_name);
	g->src_failed = true;
	return err_set(err, -errno, "cannot copy '%s' into '%s': %s",
		       g->src.name, g->dst_name, strerror(errno));
}

/*
 * copy_range - the run [at, end) in the kernel, without a trip through
 * this process (and on a file system with reflinks, without copying
 * the blocks at all); by read and write where the kernel refuses. An
 * image is fsync'd before it is renamed into place, so with write_back
 * each piece goes to the disk while the next one is copied, where the
 * fsync would wait for all of them (50 ms of a warm build here).
 */
static int copy_range(struct region *g, uint64_t at, uint64_t end,
		      struct hpc_err *err)
{
	size_t piece = g->write_back ? WRITE_BACK : SIZE_MAX;
	loff_t in, out;
	ssize_t n;
	size_t len;

	while (at < end) {
		len = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
		if (g->no_copy_range) {
			int r = copy_chunk(g, at, len, err);

			if (r < 0)
				return r;
			at += len;
			continue;
		}
		in = (loff_t)(g->src.off + at);
		out = (loff_t)(g->dst_off + at);
		n = copy_file_range(g->src.fd, &in, g->dst, &out,
				    end - at < piece ? end - at : piece, 0);
		if (n > 0 && g->write_back)
			(void)sync_file_range(g->dst, out - n, n,
					      SYNC_FILE_RANGE_WRITE);
		if (n > 0)
			at += (uint64_t)n;
		else if (n == 0 || errno == EXDEV || errno == EINVAL ||
			 errno == ENOSYS || errno == EOPNOTSUPP)
			g->no_copy_range = true;	/* 0: source short */
		else if (errno != EINTR)
			return copy_fail(g, err);
	}
	return 0;
}

/* copy_region - every data run of the source; holes stay holes. */
static int copy_region(struct region *g, struct hpc_err *err)
{
	uint64_t at = 0, end;
	int r = 0;

	while (r == 0 && at < g->src.size && span_next_data(&g->src, &at, &end)) {
		r = copy_range(g, at, end, err);
		at = end;
	}
	free(g->buf);
	g->buf = NULL;
	return r;
}

/*
 * The record of a content file as it was when its digest last matched
 * its name: the boot, and the file's device, inode, size, mtime and
 * ctime. Any write to the file, or a change of its times, sets its ctime
 * to the clock of that moment, which no caller can choose; a crash, the
 * only way a copy that was never written back can be lost, means a new
 * boot. So a file that still matches the record holds the bytes that
 * were checked, short of damage below the file system, which `hpc cache
 * verify` finds (as git's index and ccache trust a file's stat data).
 */
static bool boot_id(char ret[40])
{
	char *text = NULL;
	size_t len;
	bool ok = read_file("/proc/sys/kernel/random/boot_id", 64, &text,
			    &len, NULL) == 0 && len >= 36;

	if (ok)
		snprintf(ret, 40, "%.36s", text);
	free(text);
	return ok;
}

/* seen_line - the record of st as a line, or NULL without a boot id. */
static char *seen_line(const struct stat *st)
{
	char boot[40];

	if (!boot_id(boot))
		return NULL;
	return xasprintf("seen %s %llu %llu %lld %lld.%09ld %lld.%09ld\n",
			 boot, (unsigned long long)st->st_dev,
			 (unsigned long long)st->st_ino,
			 (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			 (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static bool ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * seen_matches - whether the key's record vouches for the content file
 * as st shows it. The key must also be younger than the file's ctime
 * (see add_seen), or a write in the same clock tick could hide.
 */
static bool seen_matches(const char *cache, const char *key,
			 const struct stat *st)
{
	char *kp = key_path(cache, key), *text = NULL, *want = seen_line(st);
	const char *line;
	struct stat ks;
	size_t len;
	bool ok = false;

	if (!want || stat(kp, &ks) < 0 || !ts_after(&ks.st_mtim, &st->st_ctim))
		goto out;
	if (read_file(kp, 512, &text, &len, NULL) < 0)
		goto out;
	line = strchr(text, '\n');
	ok = line && !strcmp(line + 1, want);
out:
	free(want);
	free(text);
	free(kp);
	return ok;
}

#define SETTLE_TRIES 100	/* of 1 ms: ten ticks of the slowest clock */

/*
 * add_seen - append the content file's record to the key being written
 * (fd, which holds line so far), when it can be trusted. A file's times
 * come from a clock that may move only once a tick; a write within the
 * tick of the record would keep the recorded ctime. So the key is
 * rewritten until its own mtime, read from the same clock, is past the
 * content's ctime (a tick at most), and the content checked unchanged
 * meanwhile: any later write then gives the content another ctime.
 */
static void add_seen(int fd, const char *line, int content_fd)
{
	static const struct timespec ms = { .tv_nsec = 1000000 };
	size_t len = strlen(line);
	struct stat before, after, self;
	char *seen;
	int i;

	if (fstat(content_fd, &before) < 0)
		return;
	for (i = 0; i < SETTLE_TRIES; i++) {
		if (fstat(fd, &self) < 0)
			return;
		if (ts_after(&self.st_mtim, &before.st_ctim))
			break;
		nanosleep(&ms, NULL);
		if (pwrite(fd, line, len, 0) != (ssize_t)len)
			return;
	}
	if (i == SETTLE_TRIES || fstat(content_fd, &after) < 0 ||
	    !same_file(&before, &after))
		return;
	seen = seen_line(&after);
	if (seen)
		(void)write_at(fd, seen, strlen(seen), (off_t)len, "", NULL);
	free(seen);
}

/* put_in_place - rename tmp to final, naming a directory in the way. */
static int put_in_place(const char *tmp, const char *final,
			struct hpc_err *err)
{
	if (rename(tmp, final) == 0)
		return 0;
	if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST)
		return err_set(err, -errno, "'%s' is a directory, where a "
			       "file of the cache belongs", final);
	return io_fail(err, "rename", tmp);
}

/*
 * tmp_file - a new file beside final, named for this writer, removed
 * should a signal end the build until *ret_handle is forgotten.
 */
static int tmp_file(const char *dir, char **ret, int *ret_handle,
		    struct hpc_err *err)
{
	int fd = cache_tmp_create(dir, ret, ret_handle);

	if (fd < 0)
		return err_set(err, fd, "cannot create a file in '%s': %s",
			       dir, strerror(-fd));
	return fd;
}

/*
 * write_key - CACHE/rootfs/keys/KEYHEX names the content digest and its
 * size, and records the content file (content_fd, or -1 for no record).
 */
static int write_key(const char *cache, const char *key,
		     const char *content, uint64_t size, int content_fd,
		     struct hpc_err *err)
{
	char *dir = xasprintf("%s/rootfs/keys", cache), *tmp = NULL;
	char *final = key_path(cache, key);
	char *line = xasprintf("%s %llu %s\n", content, (unsigned long long)size,
			       key + 7);
	int handle = -1, fd = tmp_file(dir, &tmp, &handle, err);
	int r = fd < 0 ? fd : 0;

	if (r == 0)
		r = write_at(fd, line, strlen(line), 0, tmp, err);
	if (r == 0 && content_fd >= 0)
		add_seen(fd, line, content_fd);
	/* renamed before it is closed: its lock covers the rename */
	if (r == 0)
		r = put_in_place(tmp, final, err);
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp)
		unlink(tmp);
	cleanup_forget(handle);
	free(line);
	free(final);
	free(tmp);
	free(dir);
	return r;
}

/*
 * check_loaded - after the copy: the file must not have changed while it
 * was read, and when it was digested the digest must be its name; then
 * the key records it again, so the next build need not digest it.
 */
static int check_loaded(const char *cache, const char *key,
			const struct span *src, const struct stat *before,
			const uint8_t *sum, struct hpc_err *err)
{
	const char *name = strrchr(src->name, '/');
	char hex[SUM_HEX_LEN], *content;
	struct removal how;
	struct stat after;

	if (fstat(src->fd, &after) < 0 || !same_file(before, &after))
		return err_set(err, -EBADMSG, "cached root filesystem '%s' "
			       "changed while it was copied, %s", src->name,
			       remove_entry(src->name, &how));
	if (!sum)
		return 0;
	sum_hex(sum, hex);
	if (!name || strcmp(name + 1, hex))
		return err_set(err, -EBADMSG, "cached root filesystem '%s' is "
			       "damaged (its content is " SUM_PREFIX "%s), %s",
			       src->name, hex, remove_entry(src->name, &how));
	content = xasprintf(SUM_PREFIX "%s", hex);
	(void)write_key(cache, key, content, src->size, src->fd, NULL);
	free(content);
	return 0;
}

int rootfs_cache_load(const char *cache, const char *key, const char *path,
		      const char *image, uint64_t offset, uint64_t size,
		      struct hpc_err *err)
{
	struct region g = {
		.src = { .fd = -1, .name = path, .size = size },
		.dst = -1, .dst_name = image, .dst_off = offset,
		.write_back = true,
	};
	struct hash_job job;
	struct removal how;
	struct stat before;
	bool hashing = false;
	int r, h;

	/* gone or unreadable since lookup: as unusable as a damaged one */
	g.src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (g.src.fd < 0) {
		(void)io_fail(err, "open", path);
		return -EBADMSG;
	}
	if (fstat(g.src.fd, &before) < 0) {
		(void)io_fail(err, "read", path);
		r = -EBADMSG;
		goto out;
	}
	if ((uint64_t)before.st_size != size) {
		r = err_set(err, -EBADMSG, "cached root filesystem '%s' is "
			    "damaged (resized since it was kept), %s", path,
			    remove_entry(path, &how));
		goto out;
	}
	/* not vouched for: digested alongside the copy */
	if (!seen_matches(cache, key, &before)) {
		r = hash_start(&job, path, 0, size, err);
		if (r < 0) {
			r = -EBADMSG;
			goto out;
		}
		hashing = true;
	}
	g.dst = open(image, O_WRONLY | O_CLOEXEC);
	r = g.dst < 0 ? io_fail(err, "open", image) : copy_region(&g, err);
	if (hashing) {
		h = hash_join(&job, r == 0 ? err : NULL);
		g.src_failed |= r == 0 && h < 0;
		r = r < 0 ? r : h;
	}
	/* an entry that cannot be read is as unusable as a damaged one */
	if (r < 0 && r != -ENOMEM && g.src_failed)
		r = -EBADMSG;
	if (r == 0)
		r = check_loaded(cache, key, &g.src, &before,
				 hashing ? job.sum : NULL, err);
out:
	if (g.dst >= 0)
		close(g.dst);
	close(g.src.fd);
	return r;
}

int rootfs_cache_check(const char *path, struct hpc_err *err)
{
	struct span s = { .name = path };
	const char *name = strrchr(path, '/');
	char hex[SUM_HEX_LEN];
	uint8_t sum[ROOTFS_SUM_LEN];
	struct stat st;
	int r;

	s.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s.fd < 0)
		return io_fail(err, "open", path);
	r = fstat(s.fd, &st) < 0 ? io_fail(err, "read", path) : 0;
	s.size = (uint64_t)st.st_size;
	if (r == 0)
		r = rootfs_sum_span(&s, sum, err);
	close(s.fd);
	if (r < 0)
		return r;
	sum_hex(sum, hex);
	if (!name || strcmp(name + 1, hex))
		return err_set(err, -EBADMSG, "its content is " SUM_PREFIX
			       "%.12s...", hex);
	return 0;
}

static int make_dirs(const char *cache, struct hpc_err *err)
{
	static const char *const sub[] = {
		"rootfs", "rootfs/keys", ROOTFS_CACHE_CONTENT,
	};
	char *p;
	int r = cache_init(cache, err);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sub); i++) {
		p = xasprintf("%s/%s", cache, sub[i]);
		/* 0755 whatever the umask: only a private place is reused */
		if (mkdir(p, 0755) == 0)
			(void)chmod(p, 0755);
		else if (errno != EEXIST)
			r = io_fail(err, "create", p);
		free(p);
	}
	return r;
}

int rootfs_cache_new_content(const char *cache, char **ret_tmp,
			      int *ret_handle, struct hpc_err *err)
{
	char *dir = xasprintf("%s/" ROOTFS_CACHE_CONTENT, cache);
	int r = make_dirs(cache, err);

	if (r == 0)
		r = tmp_file(dir, ret_tmp, ret_handle, err);
	free(dir);
	return r;
}

/*
 * No fsync: the record names the boot, so a copy lost in a crash is
 * summed again, fails, and is rebuilt.
 */
int rootfs_cache_add(const char *cache, const char *key, const char *tmp,
		     int fd, const uint8_t sum[ROOTFS_SUM_LEN], uint64_t size,
		     struct hpc_err *err)
{
	char hex[SUM_HEX_LEN], *final, *content;
	int r;

	sum_hex(sum, hex);
	final = content_path(cache, hex);
	/* landed now, as upkeep sees it: a file no key names yet is an
	 * orphan only once idle, and its key follows at once */
	(void)futimens(fd, NULL);
	r = put_in_place(tmp, final, err);
	if (r == 0) {
		content = xasprintf(SUM_PREFIX "%s", hex);
		r = write_key(cache, key, content, size, fd, err);
		free(content);
	}
	free(final);
	return r;
}
