/*
 * rootfs-tool: drives packer/rootfs.c from the tests, the way the build
 * pipeline will: layers in, one ext4 filesystem out, at a byte offset
 * inside an image file that this tool creates.
 *
 *   rootfs-tool [-o OFFSET] [-s SIZE] [-t CLAMP] [-r PERCENT] [-L LABEL]
 *               [-S SEED] [-K DIR] [-F BYTES] [-T] IMAGE LAYER...
 *
 * The bytes before OFFSET and a MiB after the filesystem are filled with
 * a pattern and checked afterwards: the filesystem must stay in its
 * range. -K keeps compressed layers' bytes from pass one in a stage in
 * DIR, as the build does beside its output; -F limits the size of every
 * file the tool writes (RLIMIT_FSIZE), so a stage can be made to fail.
 * Prints "offset N size M staged K"; -T adds the time of each pass on
 * stderr. Exits 1 on an error, 3 if bytes outside the range changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "rootfs.h"
#include "util.h"

#define TAIL (1 << 20)
#define PATTERN 0x5a

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fill(int fd, uint64_t off, uint64_t len, int check)
{
	unsigned char buf[65536], want[65536];

	memset(want, PATTERN, sizeof(want));
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		if (check) {
			if (pread(fd, buf, n, off + done) != (ssize_t)n ||
			    memcmp(buf, want, n))
				return -1;
		} else if (pwrite(fd, want, n, off + done) != (ssize_t)n) {
			return -1;
		}
		done += n;
	}
	return 0;
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "rootfs-tool: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int add_layers(struct rootfs *fs, char **paths, int n,
		      struct hpc_err *err)
{
	for (int i = 0; i < n; i++) {
		uint8_t d[DIGEST_LEN];
		char what[DIGEST_STR_LEN];
		int r = digest_file(paths[i], d, err);

		if (r < 0)
			return r;
		digest_format(d, what);
		r = rootfs_add_layer(fs, paths[i], what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rootfs_opts opts = { .time_clamp = -1, .reserve_percent = 10,
				    .label = "rootfs" };
	uint64_t offset = 3 << 20, size = 0;
	const char *seed = "test", *stage_dir = NULL;
	struct rlimit fsize;
	struct hpc_err err = { "" };
	struct rootfs *fs;
	int c, timing = 0, fd, r;
	size_t staged;
	double t0, t1, t2;

	while ((c = getopt(argc, argv, "o:s:t:r:L:S:K:F:T")) != -1) {
		switch (c) {
		case 'o': offset = number(optarg); break;
		case 's': size = number(optarg); break;
		case 't': opts.time_clamp = (int64_t)number(optarg); break;
		case 'r': opts.reserve_percent = number(optarg); break;
		case 'L': opts.label = optarg; break;
		case 'S': seed = optarg; break;
		case 'K': stage_dir = optarg; break;
		case 'F':
			fsize.rlim_cur = fsize.rlim_max = number(optarg);
			/* a write past it fails with EFBIG, not a signal */
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &fsize) < 0) {
				perror("setrlimit");
				return 1;
			}
			break;
		case 'T': timing = 1; break;
		default: return 2;
		}
	}
	if (argc - optind < 1) {
		fputs("usage: rootfs-tool [options] IMAGE LAYER...\n", stderr);
		return 2;
	}
	digest_buf(seed, strlen(seed), opts.seed);
	fs = rootfs_new();
	if (stage_dir && (r = rootfs_use_stage(fs, stage_dir)) < 0) {
		fprintf(stderr, "rootfs-tool: no stage in '%s': %s\n",
			stage_dir, strerror(-r));
		return 1;
	}
	t0 = now();
	r = add_layers(fs, argv + optind + 1, argc - optind - 1, &err);
	t1 = now();
	if (r < 0)
		goto fail;
	staged = rootfs_staged(fs);
	if (!size)
		size = rootfs_size(fs, &opts);
	fd = open(argv[optind], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, offset + size + TAIL) < 0 ||
	    fill(fd, 0, offset, 0) < 0 ||
	    fill(fd, offset + size, TAIL, 0) < 0) {
		perror(argv[optind]);
		return 1;
	}
	t2 = now();
	r = rootfs_write(fs, argv[optind], offset, size, &opts, &err);
	t2 = now() - t2;
	if (r < 0)
		goto fail;
	if (fill(fd, 0, offset, 1) < 0 ||
	    fill(fd, offset + size, TAIL, 1) < 0) {
		fputs("rootfs-tool: bytes outside the filesystem changed\n",
		      stderr);
		return 3;
	}
	close(fd);
	printf("offset %llu size %llu staged %zu\n",
	       (unsigned long long)offset, (unsigned long long)size,
	       staged);
	if (timing)
		fprintf(stderr, "pass1 %.3f s pass2 %.3f s\n", t1 - t0, t2);
	rootfs_free(fs);
	return 0;
fail:
	fprintf(stderr, "hpc: %s (%s)\n", err.msg, strerror(-r));
	rootfs_free(fs);
	return 1;
}
