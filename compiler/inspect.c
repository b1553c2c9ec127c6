/*
 * inspect: print a pod image's manifest, as a summary or as JSON, or the
 * files of one container's root filesystem. See inspect.h.
 */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "diskfmt.h"
#include "ext4_list.h"
#include "podimage.h"
#include "util.h"

static const char usage_text[] =
	"usage: hpc inspect IMG [--json]     (IMG raw or qcow2)\n"
	"       hpc inspect IMG --files CONTAINER [PATH]\n"
	"\n"
	"Show what the pod image IMG holds: the pod, its containers, the\n"
	"partitions, and the kernel's and initrd's digests.\n"
	"\n"
	"      --json     print the image's manifest as it is stored\n"
	"      --files C  list the root filesystem of container C (or of the\n"
	"                 partition named C) from PATH down, one line a name:\n"
	"                 path type mode uid gid size target xattrs links\n"
	"                 (size is MAJOR,MINOR for devices; '-' for no target\n"
	"                 or no xattrs; bytes below '!', '\\' and 0x7f as\n"
	"                 \\ooo)\n";

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_blob(const char *what, const cJSON *b)
{
	printf("%-10s %10.0f bytes  %s\n", what, num(b, "size"),
	       str(b, "sha256"));
}

static void print_argv(const cJSON *argv)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, argv)
		printf(" %s", cJSON_IsString(a) ? a->valuestring : "?");
	putchar('\n');
}

/* The digest of everything that went in, and each filesystem's layers. */
static void print_inputs(const cJSON *in)
{
	const cJSON *r, *l;

	if (!in)
		return;
	printf("inputs     %s\n", str(in, "digest"));
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(in, "rootfs")) {
		printf("  %-16s key %s\n", str(r, "partition"), str(r, "key"));
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "layers"))
			printf("  %-16s layer %s\n", "",
			       cJSON_IsString(l) ? l->valuestring : "?");
	}
}

static void print_summary(const cJSON *m)
{
	const cJSON *res = cJSON_GetObjectItem(m, "resources"), *p, *c;

	printf("pod        %s (hostname %s)\n", str(m, "name"),
	       str(m, "hostname"));
	printf("resources  %.0f MiB, %.0f vCPU\n", num(res, "memory"),
	       num(res, "vcpu"));
	printf("cmdline    %s\n", str(m, "cmdline"));
	print_blob("kernel", cJSON_GetObjectItem(m, "kernel"));
	print_blob("initrd", cJSON_GetObjectItem(m, "initrd"));
	print_inputs(cJSON_GetObjectItem(m, "inputs"));
	printf("\npartitions\n");
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(m, "partitions"))
		printf("  %-16s at %12.0f  %10.0f bytes\n", str(p, "name"),
		       num(p, "offset"), num(p, "size"));
	printf("\ncontainers\n");
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "containers")) {
		printf("  %s: %s on %s\n    command:", str(c, "name"),
		       str(c, "image"), str(c, "rootfs"));
		print_argv(cJSON_GetObjectItem(c, "argv"));
	}
}

/*
 * rootfs_range - where the root filesystem of container (or partition)
 * name lies in the image, from the manifest.
 */
static int rootfs_range(const cJSON *m, const char *name,
			uint64_t *ret_off, uint64_t *ret_size,
			struct hpc_err *err)
{
	const char *part = name;
	const cJSON *c, *p;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "containers"))
		if (!strcmp(str(c, "name"), name))
			part = str(c, "rootfs");
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(m, "partitions")) {
		if (!strcmp(str(p, "name"), part)) {
			*ret_off = (uint64_t)num(p, "offset");
			*ret_size = (uint64_t)num(p, "size");
			return 0;
		}
	}
	return err_set(err, -ENOENT, "no container or partition '%s' in "
		       "the image", name);
}

/* put_escaped - s with spaces, control bytes and backslashes as \ooo. */
static void put_escaped(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= ' ' || ch == 0x7f || ch == '\\')
			printf("\\%03o", ch);
		else
			putchar(ch);
	}
}

static const struct {
	unsigned int fmt;
	char letter;
} type_letters[] = {
	{ S_IFREG, 'f' }, { S_IFDIR, 'd' },  { S_IFLNK, 'l' },
	{ S_IFCHR, 'c' }, { S_IFBLK, 'b' },  { S_IFIFO, 'p' },
	{ S_IFSOCK, 's' },
};

static char type_letter(unsigned int mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_letters); i++)
		if ((mode & S_IFMT) == type_letters[i].fmt)
			return type_letters[i].letter;
	return '?';
}

static int print_file(const struct ext4_list_entry *e, void *arg)
{
	put_escaped(e->path);
	printf(" %c %04o %u %u ", type_letter(e->mode), e->mode & 07777,
	       e->uid, e->gid);
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		printf("%u,%u ", e->rdev_major, e->rdev_minor);
	else
		printf("%llu ", (unsigned long long)e->size);
	if (e->target && strcmp(e->target, "-"))
		put_escaped(e->target);
	else
		fputs(e->target ? "\\055" : "-", stdout);
	putchar(' ');
	for (size_t i = 0; i < e->nxattrs; i++) {
		if (i)
			putchar(',');
		put_escaped(e->xattrs[i]);
	}
	printf("%s %u\n", e->nxattrs ? "" : "-", e->nlink);
	return 0;
}

/*
 * The partition of a qcow2 image copied out by qemu-img into a temporary
 * file (removed at once after the listing), since libext2fs reads only
 * plain files.
 */
static int list_qcow2(const char *img, uint64_t off, uint64_t size,
		      const char *path, struct hpc_err *err)
{
	const char *t = getenv("TMPDIR");
	char *tmp = xasprintf("%s/hpc-inspect.XXXXXX", t && *t ? t : "/tmp");
	uint64_t skip = 0;
	int fd, r;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = err_set(err, -errno, "cannot create '%s': %s", tmp,
			    strerror(errno));
		free(tmp);
		return r;
	}
	close(fd);
	r = diskfmt_read_qcow2(img, off, size, tmp, &skip, err);
	if (r == 0)
		r = ext4_list(tmp, skip, path, print_file, NULL, err);
	unlink(tmp);
	free(tmp);
	return r;
}

static int list_files(const char *img, const cJSON *m, const char *name,
		      const char *path, struct hpc_err *err)
{
	uint64_t off = 0, size = 0, disk;
	enum diskfmt fmt;
	int r;

	r = rootfs_range(m, name, &off, &size, err);
	if (r == 0)
		r = diskfmt_probe(img, &fmt, &disk, err);
	if (r < 0)
		return r;
	if (fmt == DISKFMT_QCOW2)
		return list_qcow2(img, off, size, path ? path : "/", err);
	return ext4_list(img, off, path ? path : "/", print_file, NULL, err);
}

int inspect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "files", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hpc_err err = { .msg = "" };
	const char *files = NULL;
	bool json = false;
	char *text = NULL;
	cJSON *m;
	size_t len;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'f') {
			files = optarg;
		} else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else {
			return usage_bad_option("inspect", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("inspect", "no image: name one, as in "
				   "'hpc inspect IMG'");
	if (optind != argc - 1 && !(files && optind == argc - 2))
		return usage_error("inspect", "'%s': one image only (and a "
				   "path with --files), and this is one "
				   "argument too many",
				   argv[files ? optind + 2 : optind + 1]);
	if (podimage_read_json(argv[optind], &text, &len, &err) < 0) {
		fprintf(stderr, "hpc: %s\n", err.msg);
		return 1;
	}
	m = cJSON_ParseWithLength(text, len);
	if (!m) {
		fprintf(stderr, "hpc: bad manifest in '%s': not JSON\n",
			argv[optind]);
		free(text);
		return 1;
	}
	c = 0;
	if (files && list_files(argv[optind], m, files,
				optind + 1 < argc ? argv[optind + 1] : NULL,
				&err) < 0) {
		fprintf(stderr, "hpc: %s\n", err.msg);
		c = 1;
	} else if (!files && json) {
		printf("%s\n", text);
	} else if (!files) {
		print_summary(m);
	}
	cJSON_Delete(m);
	free(text);
	return c;
}
