/*
 * cache_cmd: the "cache" subcommand. See cache_cmd.h.
 *
 * A blob is CACHE/blobs/sha256/HEX; beside the blobs, prune also takes
 * the build's results (finished root filesystems under CACHE/rootfs, boot
 * loaders under CACHE/loaders, parts of the initrd under CACHE/initrd).
 * A writer's temporary file is .tmp-PID-XXXXXX beside it (cleanup.h),
 * removed here only when its writer's lock is gone and it has not
 * changed for a minute, so upkeep never disturbs a build that runs
 * meanwhile, in this PID namespace or another.
 * Exit status: 0, 1 when the cache could not be read or a file could not
 * be removed, 2 for a usage error; verify also says what it removed.
 */
#include "cache_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "digest.h"
#include "rootfs_cache.h"
#include "sealed.h"

static const char usage_text[] =
	"usage: hpc cache verify [--cache DIR]\n"
	"       hpc cache prune [--cache DIR] [--all | --older-than DAYS]\n"
	"\n"
	"verify: re-check the digest of every blob and kept result (root\n"
	"        filesystems, boot loaders, parts of initrds) and that every\n"
	"        key names a root filesystem; remove what does not match (or\n"
	"        cannot be read) and leftovers: what writers that died or\n"
	"        older versions of hpc left, and root filesystems no key\n"
	"        names, idle for a minute.\n"
	"prune:  remove leftovers (the default), every blob and kept result\n"
	"        (--all), or those not used for DAYS days; say how much was\n"
	"        freed.\n"
	"\n"
	"  --cache DIR        the blob cache (default: $XDG_CACHE_HOME/hpc)\n";

struct cache_args {
	const char *cache;
	int all;
	long days;		/* -1: not given */
};

/* What the upkeep did. */
struct tally {
	unsigned long kept, removed, failed;
	uint64_t freed;
};

/* One upkeep: where, what it was asked, and what it did. */
struct upkeep {
	const char *cache;
	const struct cache_args *a;
	bool verify;
	struct tally t;
	struct rootfs_cache_names named;
};

static int is_blob_name(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return 0;
	return i == 64;
}

static void drop(const char *path, const struct stat *st, const char *why,
		 struct tally *t)
{
	/* unlink would say EISDIR, which names the call, not the find */
	if (S_ISDIR(st->st_mode)) {
		fprintf(stderr, "hpc: '%s' is a directory, not a cache "
			"entry, left as it is\n", path);
		t->failed++;
		return;
	}
	if (unlink(path) < 0) {
		fprintf(stderr, "hpc: cannot remove '%s'%s%s%s: %s\n", path,
			why ? " (" : "", why ? why : "", why ? ")" : "",
			strerror(errno));
		t->failed++;
		return;
	}
	if (why)
		printf("removed '%s': %s\n", path, why);
	t->removed++;
	t->freed += (uint64_t)st->st_blocks * 512;
}

/* drop_tmp - a writer's temporary file, if the writer is gone. */
static void drop_tmp(struct upkeep *u, const char *path,
		     const struct stat *st)
{
	if (cleanup_is_leftover(path, st))
		drop(path, st, u->verify ? "left by a writer that died" : NULL,
		     &u->t);
}

/*
 * drop_orphan - a kept root filesystem no key names, once it has been
 * idle as long as a writer's temporary file (a build names it just
 * after it puts it in place). Returns whether it went.
 */
static bool drop_orphan(struct upkeep *u, const char *path, const char *name,
			const struct stat *st)
{
	if (time(NULL) - st->st_mtime < CLEANUP_IDLE ||
	    !rootfs_cache_unnamed(u->cache, &u->named, name))
		return false;
	drop(path, st, "no key names it", &u->t);
	return true;
}

/* verify_one - the blob at path must hash to its name. */
static void verify_one(struct upkeep *u, const char *path, const char *name,
		       const struct stat *st)
{
	struct tally *t = &u->t;
	struct hpc_err err = { .msg = "" };
	uint8_t sum[DIGEST_LEN];
	char hex[65];

	if (!S_ISREG(st->st_mode) || !is_blob_name(name)) {
		drop(path, st, "not a blob", t);
		return;
	}
	if (digest_file(path, sum, &err) < 0) {
		fprintf(stderr, "hpc: %s\n", err.msg);
		t->failed++;
		return;
	}
	digest_hex(sum, hex);
	if (strcmp(hex, name)) {
		char why[100];

		snprintf(why, sizeof(why), "its content is sha256:%.12s...",
			 hex);
		drop(path, st, why, t);
		return;
	}
	t->kept++;
}

/*
 * verify_rootfs - a kept root filesystem must hold what its name says.
 * A build digests it only when the file changed since its last check
 * (or after a reboot), so damage below the file system is found here.
 */
static void verify_rootfs(struct upkeep *u, const char *path,
			  const char *name, const struct stat *st)
{
	struct hpc_err err = { .msg = "" };
	struct tally *t = &u->t;
	int rc;

	if (!S_ISREG(st->st_mode) || !rootfs_cache_is_content_name(name)) {
		drop(path, st, "not a root filesystem", t);
		return;
	}
	if (drop_orphan(u, path, name, st))
		return;
	rc = rootfs_cache_check(path, &err);
	if (rc == -EBADMSG) {
		drop(path, st, err.msg, t);
		return;
	}
	if (rc == -ENOENT)
		return;		/* removed meanwhile by a build or a prune */
	/* one no build can read is rebuilt by the next: it goes too */
	if (rc < 0 && rc != -ENOMEM) {
		char why[100];

		snprintf(why, sizeof(why), "cannot be read (%s)",
			 strerror(-rc));
		drop(path, st, why, t);
		return;
	}
	if (rc < 0) {
		fprintf(stderr, "hpc: %s\n", err.msg);
		t->failed++;
		return;
	}
	t->kept++;
}

/*
 * verify_key - a key must name a kept root filesystem that is there; one
 * damaged or naming none is removed (the next build would make it again
 * anyway, and say so).
 */
static void verify_key(struct upkeep *u, const char *path, const char *name,
		       const struct stat *st)
{
	struct hpc_err err = { .msg = "" };
	struct tally *t = &u->t;
	int rc;

	if (!S_ISREG(st->st_mode) || !is_blob_name(name)) {
		drop(path, st, "not a key", t);
		return;
	}
	rc = rootfs_cache_check_key(u->cache, name, &err);
	if (rc == -EBADMSG)
		drop(path, st, err.msg, t);
	else if (rc == 0)
		t->kept++;
	else if (rc != -ENOENT) {
		fprintf(stderr, "hpc: %s\n", err.msg);
		t->failed++;
	}
}

/* verify_sealed - a kept boot loader or part of an initrd: its seal
 * must match its bytes. */
static void verify_sealed(struct upkeep *u, const char *path,
			  const char *name, const struct stat *st)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if (!S_ISREG(st->st_mode)) {
		drop(path, st, "not a kept result", &u->t);
		return;
	}
	rc = sealed_read(path, (size_t)st->st_size, &buf, &len);
	free(buf);
	if (rc == -EBADMSG)
		drop(path, st, "its seal does not match its content", &u->t);
	else if (rc < 0 && access(path, F_OK) == 0)
		drop(path, st, "cannot be read", &u->t);
	else if (rc == 0)
		u->t.kept++;
}

/* drop_old - a result kept by an older hpc, in any upkeep. */
static void drop_old(struct upkeep *u, const char *path, const char *name,
		     const struct stat *st)
{
	drop(path, st, "kept by an older hpc, which no build reads", &u->t);
}

/* unused for more than days days; any number of days, without overflow */
static bool unused_for(const struct stat *st, long days)
{
	time_t used = st->st_atime > st->st_mtime ? st->st_atime
						  : st->st_mtime;
	time_t age = time(NULL) - used;

	return days >= 0 && age > 0 &&
	       (uint64_t)(age - 1) / 86400 >= (uint64_t)days;
}

/* prune_one - remove a blob when --all, or unused for --older-than. */
static void prune_one(struct upkeep *u, const char *path, const char *name,
		      const struct stat *st)
{
	if (u->a->all || unused_for(st, u->a->days))
		drop(path, st, NULL, &u->t);
	else
		u->t.kept++;
}

/* prune_rootfs - a kept root filesystem: as a blob, unless no key names
 * it, when it is a leftover. */
static void prune_rootfs(struct upkeep *u, const char *path,
			 const char *name, const struct stat *st)
{
	if (u->a->all || !S_ISREG(st->st_mode) ||
	    !rootfs_cache_is_content_name(name) ||
	    !drop_orphan(u, path, name, st))
		prune_one(u, path, name, st);
}

/* What an upkeep does with one file it finds. */
typedef void entry_fn(struct upkeep *u, const char *path, const char *name,
		      const struct stat *st);

/*
 * real_dirs - each directory of sub below cache is one, not a symbolic
 * link: an upkeep removes files, and only the cache's own. Returns 0,
 * -ENOENT when one is missing (nothing to do), or -ENOTDIR, said.
 */
static int real_dirs(const char *cache, const char *sub)
{
	char *path = xasprintf("%s/%s", cache, sub);
	size_t end = strlen(cache) + 1;
	struct stat st;
	int r = 0;
	char c;

	while (r == 0 && path[end]) {
		end += strcspn(path + end, "/");
		c = path[end];
		path[end] = '\0';
		if (lstat(path, &st) < 0)
			r = -ENOENT;
		else if (S_ISLNK(st.st_mode))
			r = -ENOTDIR;
		if (r == -ENOTDIR)
			fprintf(stderr, "hpc: cache '%s' is a symbolic link, "
				"not a directory of the cache, left as it is\n",
				path);
		path[end] = c;
		if (c)
			end++;
	}
	free(path);
	return r;
}

/* walk - fn for each file of CACHE/sub, its writers' leftovers apart. */
static int walk(struct upkeep *u, const char *sub, entry_fn *fn)
{
	char *dir, *path;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = real_dirs(u->cache, sub);

	if (r < 0)
		return r == -ENOENT ? 0 : r;
	dir = xasprintf("%s/%s", u->cache, sub);
	d = opendir(dir);
	if (!d) {
		int rc = errno == ENOENT ? 0 : -errno;

		if (rc)
			fprintf(stderr, "hpc: cache '%s': %s\n", dir,
				strerror(errno));
		free(dir);
		return rc;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			;	/* removed meanwhile by another upkeep */
		else if (!strncmp(de->d_name, ".tmp-", 5))
			drop_tmp(u, path, &st);
		else
			fn(u, path, de->d_name, &st);
		free(path);
	}
	closedir(d);
	free(dir);
	return 0;
}

static int parse_args(int argc, char **argv, struct cache_args *a)
{
	static const struct option opts[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->cache = optarg; break;
		case 'a': a->all = 1; break;
		case 'o':
			errno = 0;
			a->days = strtol(optarg, &end, 10);
			/* more days than a long holds: older than any file */
			if (errno == ERANGE && a->days == LONG_MAX)
				errno = 0;
			if (errno || *end || end == optarg || a->days < 0) {
				fprintf(stderr, "hpc: --older-than: '%s' is not "
					"a number of days\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			usage_bad_option("cache", argv[optind - 1]);
			return -EINVAL;
		}
	}
	return 0;
}

/* One action, no other word, and only its own options. */
static int check_words(int argc, char **argv, int verify,
		       const struct cache_args *a)
{
	if (optind < argc)
		usage_error("cache", "'%s': %s takes no argument",
			    argv[optind], argv[0]);
	else if (verify && (a->all || a->days >= 0))
		usage_error("cache", "verify: --all and --older-than are "
			    "options of prune");
	else if (a->all && a->days >= 0)
		usage_error("cache", "prune: --all or --older-than, not both");
	else if (a->cache && !*a->cache)
		usage_error("cache", "--cache: an empty path");
	else
		return 0;
	return -EINVAL;
}

/*
 * A cache named with --cache must be there: a mistyped name is not an
 * empty cache. The default one is simply empty before the first build.
 */
static int check_cache(const char *cache, const struct cache_args *a)
{
	struct stat st;

	if (!a->cache)
		return 0;
	if (stat(cache, &st) < 0) {
		fprintf(stderr, "hpc: cache '%s': %s\n", cache,
			strerror(errno));
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hpc: cache '%s': not a directory\n", cache);
		return -ENOTDIR;
	}
	return 0;
}

static void say_freed(const char *what, const struct tally *t)
{
	printf("%s: %lu %s kept, %lu %s removed, %.1f MiB freed\n", what,
	       t->kept, t->kept == 1 ? "file" : "files", t->removed,
	       t->removed == 1 ? "file" : "files",
	       (double)t->freed / (1 << 20));
}

/* A part of the cache and what an upkeep does with each file in it. */
struct part {
	const char *sub;
	entry_fn *fn;
};

/* Contents before keys: a key whose content goes then goes too. The
 * results of an older hpc (rootfs/sha256, rootfs/xxh128) no build
 * reads: leftovers. */
static const struct part verify_parts[] = {
	{ "blobs/sha256", verify_one },
	{ ROOTFS_CACHE_CONTENT, verify_rootfs },
	{ "rootfs/keys", verify_key },
	{ "loaders", verify_sealed },
	{ "initrd", verify_sealed },
	{ "rootfs/sha256", drop_old },
	{ "rootfs/xxh128", drop_old },
};

/* Finished root filesystems and boot loaders are only ever rebuilt when
 * missing, so prune takes them as it takes blobs. */
static const struct part prune_parts[] = {
	{ "blobs/sha256", prune_one },
	{ "rootfs/keys", prune_one },
	{ ROOTFS_CACHE_CONTENT, prune_rootfs },
	{ "loaders", prune_one },
	{ "initrd", prune_one },
	{ "rootfs/sha256", drop_old },
	{ "rootfs/xxh128", drop_old },
};

/*
 * upkeep - verify or prune every part of the cache; a part that cannot
 * be read is said and the others are still seen to. Returns the first
 * failure, or 0.
 */
static int upkeep(struct upkeep *u)
{
	const struct part *p = u->verify ? verify_parts : prune_parts;
	size_t n = u->verify ? ARRAY_SIZE(verify_parts)
			     : ARRAY_SIZE(prune_parts);
	int rc = 0, r;

	for (size_t i = 0; i < n; i++) {
		r = walk(u, p[i].sub, p[i].fn);
		rc = rc ? rc : r;
	}
	return rc;
}

int cache_main(int argc, char **argv)
{
	struct cache_args a = { .days = -1 };
	struct upkeep u = { .a = &a };
	char *cache = NULL;
	int verify, rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error("cache", "no action: verify or prune");
	if (strcmp(argv[1], "verify") && strcmp(argv[1], "prune"))
		return usage_error("cache", "'%s' is not an action (verify or "
				   "prune)", argv[1]);
	verify = !strcmp(argv[1], "verify");
	if (parse_args(argc - 1, argv + 1, &a) < 0)
		return 2;
	if (check_words(argc - 1, argv + 1, verify, &a) < 0)
		return 2;
	cache = a.cache ? xstrdup(a.cache) : cache_default_dir();
	if (!cache) {
		fputs("hpc: no cache: set XDG_CACHE_HOME or HOME, or use "
		      "--cache\n", stderr);
		return 1;
	}
	if (check_cache(cache, &a) < 0) {
		free(cache);
		return 1;
	}
	u.cache = cache;
	u.verify = verify;
	rc = upkeep(&u);
	rootfs_cache_names_release(&u.named);
	if (a.all && rc == 0) {
		char *refs = xasprintf("%s/references", cache);

		unlink(refs);
		free(refs);
	}
	say_freed(verify ? "verify" : "prune", &u.t);
	free(cache);
	return rc < 0 || u.t.failed ? 1 : 0;
}
