/*
 * build: "hpc build", the command line of the pipeline from a pod file
 * to a disk image (pipeline.c runs the steps):
 *
 *   spec    read and check the pod file
 *   fetch   resolve each container's image to verified blobs
 *   plan    merge containers with their images; one rootfs an image
 *   pack    size each rootfs, write the initrd, lay out the disk, write
 *           kernel, initrd, root filesystems, manifest and GPT
 *
 * The image is written under a temporary name beside the output (a
 * symlink's target) and renamed into place only when every step has
 * succeeded, so a failed or interrupted build leaves no partial pod.img.
 */
#include "build.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "pipeline.h"
#include "platform.h"

static const char usage_text[] =
	"usage: hpc build POD -o IMG [options]\n"
	"\n"
	"Compile the pod file POD, with the images and files it names, into\n"
	"the bootable disk image IMG.\n"
	"\n"
	"  -o, --output IMG     the image to write (required)\n"
	"  -f, --format FMT     raw (default) or qcow2\n"
	"      --compress       qcow2 with zstd-compressed clusters\n"
	"      --kernel FILE    the guest kernel (default: the newest\n"
	"                       /boot/vmlinuz-* with modules)\n"
	"      --modules DIR    its modules (default: /lib/modules/VERSION)\n"
	"      --init FILE      the hpc-init binary to put in the initrd\n"
	"      --cache DIR      the blob cache (default: $XDG_CACHE_HOME/hpc)\n"
	"      --platform OS/ARCH[/VARIANT]\n"
	"                       the image to take from a multi-platform index\n"
	"                       (default: linux/amd64)\n"
	"      --insecure-registry HOST[:PORT]\n"
	"                       allow plain HTTP or unverified TLS for this\n"
	"                       registry (may be repeated)\n"
	"      --offline        take registry images only from the cache\n"
	"      --owner UID:GID  own every file of dir: images by UID:GID\n"
	"                       (default: the owners found on the host)\n"
	"      --reserve PCT    free space in each root filesystem (default 10)\n"
	"      --strict         treat warnings about the pod file as errors\n"
	"  -q, --quiet          print only errors\n"
	"  -v, --verbose        say what each step does\n"
	"\n"
	"Limits against hostile input (sizes take K, M, G or T):\n";

enum { OPT_KERNEL = 256, OPT_MODULES, OPT_INIT, OPT_CACHE, OPT_RESERVE,
       OPT_STRICT, OPT_PLATFORM, OPT_INSECURE, OPT_OFFLINE, OPT_OWNER,
       OPT_COMPRESS,
       OPT_LIMIT = 512 /* + the limit's index in limit_flags */ };

static const struct option base_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "compress", no_argument, NULL, OPT_COMPRESS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "init", required_argument, NULL, OPT_INIT },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "reserve", required_argument, NULL, OPT_RESERVE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "insecure-registry", required_argument, NULL, OPT_INSECURE },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
};

/* The options: base_options, then one a limit, then the terminator. */
static struct option long_options[ARRAY_SIZE(base_options) + 32];

static void make_options(void)
{
	size_t n = ARRAY_SIZE(base_options);
	unsigned int i;

	memcpy(long_options, base_options, sizeof(base_options));
	for (i = 0; i < n_limit_flags && n + 1 < ARRAY_SIZE(long_options); i++)
		long_options[n++] = (struct option){
			.name = limit_flags[i].flag,
			.has_arg = required_argument,
			.val = OPT_LIMIT + (int)i,
		};
	long_options[n] = (struct option){ 0 };
}

/* A limit's value as a person reads it: 64G, 16M, or the number. */
static void limit_text(const struct limit_flag *l, char *buf, size_t len)
{
	unsigned long long v = *l->value;

	if (l->size && v >= (1ull << 30) && !(v & ((1ull << 30) - 1)))
		snprintf(buf, len, "%lluG", v >> 30);
	else if (l->size && v >= (1ull << 20) && !(v & ((1ull << 20) - 1)))
		snprintf(buf, len, "%lluM", v >> 20);
	else
		snprintf(buf, len, "%llu", v);
}

static void usage(FILE *f)
{
	unsigned int i;
	char dflt[32];

	fputs(usage_text, f);
	for (i = 0; i < n_limit_flags; i++) {
		limit_text(&limit_flags[i], dflt, sizeof(dflt));
		fprintf(f, "      --%-22s %s (default %s)\n",
			limit_flags[i].flag, limit_flags[i].what, dflt);
	}
}

static int set_limit(int c, const char *arg)
{
	struct hpc_err err = { .msg = "" };

	if (limit_set(limit_flags[c - OPT_LIMIT].flag, arg, &err) == 0)
		return 0;
	fprintf(stderr, "hpc: %s\n", err.msg);
	return -EINVAL;
}

static int parse_reserve(const char *s, unsigned int *ret)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < 0 || n > 1000)
		return -EINVAL;
	*ret = (unsigned int)n;
	return 0;
}

static int parse_id(const char *s, const char *end, uint32_t *ret)
{
	unsigned long n;
	char *stop;

	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &stop, 10);
	if (errno || stop != end || n > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)n;
	return 0;
}

/* --owner UID:GID, numeric as in a tar header. */
static int parse_owner(const char *s, struct pipeline_opts *o)
{
	const char *colon = strchr(s, ':');

	if (!colon || parse_id(s, colon, &o->owner_uid) < 0 ||
	    parse_id(colon + 1, colon + 1 + strlen(colon + 1),
		     &o->owner_gid) < 0) {
		fprintf(stderr, "hpc: --owner: '%s' is not UID:GID (two "
			"numbers, e.g. 0:0)\n", s);
		return -EINVAL;
	}
	o->owner_set = true;
	return 0;
}

/* What the options own; pipeline_opts points into it. */
struct build_args {
	struct platform plat;
	char **insecure;
};

static int set_platform(const char *s, struct build_args *a,
			struct pipeline_opts *o)
{
	struct hpc_err err = { .msg = "" };

	platform_release(&a->plat);
	if (platform_parse(s, &a->plat, &err) < 0) {
		fprintf(stderr, "hpc: --platform: %s\n", err.msg);
		return -EINVAL;
	}
	o->os = a->plat.os;
	o->arch = a->plat.arch;
	o->variant = a->plat.variant;
	return 0;
}

/* The option naming a path that was given as "", or NULL. */
static const char *empty_path(const struct pipeline_opts *o)
{
	const struct { const char *opt, *val; } paths[] = {
		{ "--cache", o->cache }, { "--kernel", o->kernel },
		{ "--modules", o->moddir }, { "--init", o->init },
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (paths[i].val && !*paths[i].val)
			return paths[i].opt;
	return NULL;
}

/* One pod file and one output, each said when missing or extra. */
static int check_words(int argc, char **argv, const struct pipeline_opts *o)
{
	const char *empty = empty_path(o);

	if (optind == argc)
		usage_error("build", "no pod file: name one, as in 'hpc "
			    "build POD -o IMG'");
	else if (optind < argc - 1)
		usage_error("build", "'%s': one pod file only, and this is "
			    "a second argument", argv[optind + 1]);
	else if (!o->output)
		usage_error("build", "no output: -o IMG names the image to "
			    "write");
	else if (!*o->output)
		usage_error("build", "-o: an empty path; name the image to "
			    "write");
	else if (empty)
		usage_error("build", "%s: an empty path", empty);
	else
		return 0;
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct pipeline_opts *o,
		      struct build_args *a)
{
	int c;

	o->reserve_percent = 10;
	make_options();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:f:qvh", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case OPT_COMPRESS: o->compress = true; break;
		case 'f':
			if (diskfmt_parse(optarg, &o->format) == 0)
				break;
			fprintf(stderr, "hpc: -f: '%s' is not an image format"
				" hpc writes (raw or qcow2)\n", optarg);
			return -EINVAL;
		case OPT_KERNEL: o->kernel = optarg; break;
		case OPT_MODULES: o->moddir = optarg; break;
		case OPT_INIT: o->init = optarg; break;
		case OPT_CACHE: o->cache = optarg; break;
		case OPT_STRICT: o->strict = true; break;
		case OPT_OFFLINE: o->offline = true; break;
		case OPT_INSECURE:
			strv_push(&a->insecure, optarg);
			o->insecure_registries = (const char *const *)a->insecure;
			break;
		case OPT_PLATFORM:
			if (set_platform(optarg, a, o) < 0)
				return -EINVAL;
			break;
		case OPT_OWNER:
			if (parse_owner(optarg, o) < 0)
				return -EINVAL;
			break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_RESERVE:
			if (parse_reserve(optarg, &o->reserve_percent) == 0)
				break;
			fprintf(stderr, "hpc: --reserve: '%s' is not a "
				"percentage (0 to 1000)\n", optarg);
			return -EINVAL;
		default:
			if (c >= OPT_LIMIT && c < OPT_LIMIT + (int)n_limit_flags) {
				if (set_limit(c, optarg) < 0)
					return -EINVAL;
				break;
			}
			usage_bad_option("build", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (check_words(argc, argv, o) < 0)
		return -EINVAL;
	if (o->compress && o->format != DISKFMT_QCOW2) {
		fputs("hpc: --compress: only a qcow2 image (-f qcow2) can be"
		      " compressed\n", stderr);
		return -EINVAL;
	}
	o->pod_path = argv[optind];
	return 0;
}

int build_main(int argc, char **argv)
{
	struct pipeline_opts opts = { 0 };
	struct build_args args = { .insecure = NULL };
	struct hpc_err err = { .msg = "" };
	bool bad_pod = false;
	int rc;

	setlocale(LC_CTYPE, "C.UTF-8");
	if (parse_args(argc, argv, &opts, &args) < 0) {
		rc = 2;
		goto out;
	}
	rc = pipeline_run(&opts, &bad_pod, &err);
	if (rc < 0)
		err_print(&err);
	rc = rc == 0 ? 0 : bad_pod ? 2 : 1;
out:
	platform_release(&args.plat);
	strv_free(args.insecure);
	return rc;
}
