/*
 * pull: "hpc pull REF...": image_open for each reference, into the
 * cache. See pull.h.
 */
#include "pull.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "platform.h"

static const char usage_text[] =
	"usage: hpc pull [options] REF...\n"
	"\n"
	"Fetch each image into the blob cache and verify it, so that a later\n"
	"'hpc build --offline' finds it there. REF is docker://NAME (or NAME\n"
	"alone), oci:DIR[:TAG] or docker-archive:FILE[:REF].\n"
	"\n"
	"      --cache DIR               the blob cache (default:\n"
	"                                $XDG_CACHE_HOME/hpc)\n"
	"      --platform OS/ARCH[/VAR]  the image to take from a multi-platform\n"
	"                                index (default: linux/amd64)\n"
	"      --insecure-registry HOST[:PORT]\n"
	"                                allow plain HTTP or unverified TLS for\n"
	"                                this registry (may be repeated)\n"
	"      --offline                 use only the cache; name what it lacks\n"
	"  -q, --quiet                   print only errors\n"
	"  -v, --verbose                 say what each step does\n";

enum { OPT_CACHE = 256, OPT_PLATFORM, OPT_INSECURE, OPT_OFFLINE };

static const struct option long_options[] = {
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "insecure-registry", required_argument, NULL, OPT_INSECURE },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct pull_args {
	struct image_opts io;
	struct platform plat;
	char **insecure;
};

static int parse_args(int argc, char **argv, struct pull_args *a)
{
	struct hpc_err err = { .msg = "" };
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qvh", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_CACHE: a->io.cache_dir = optarg; break;
		case OPT_INSECURE: strv_push(&a->insecure, optarg); break;
		case OPT_OFFLINE: a->io.offline = true; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case OPT_PLATFORM:
			platform_release(&a->plat);
			if (platform_parse(optarg, &a->plat, &err) == 0)
				break;
			fprintf(stderr, "hpc: --platform: %s\n", err.msg);
			return -EINVAL;
		default:
			usage_bad_option("pull", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		usage_error("pull", "no image: name one or more, as in 'hpc "
			    "pull REF'");
		return -EINVAL;
	}
	if (a->io.cache_dir && !*a->io.cache_dir) {
		usage_error("pull", "--cache: an empty path");
		return -EINVAL;
	}
	a->io.os = a->plat.os;
	a->io.arch = a->plat.arch;
	a->io.variant = a->plat.variant;
	a->io.insecure_registries = (const char *const *)a->insecure;
	return 0;
}

static int pull_one(const char *ref, const struct image_opts *io)
{
	struct hpc_err err = { .msg = "" };
	struct image *img = NULL;

	if (image_open(ref, io, &img, &err) < 0) {
		fprintf(stderr, "hpc: %s\n", err.msg);
		return -1;
	}
	log_info("%s: config %s, %zu layer%s", ref, img->config_digest,
		 img->n_layers, img->n_layers == 1 ? "" : "s");
	image_free(img);
	return 0;
}

int pull_main(int argc, char **argv)
{
	struct pull_args a = { 0 };
	int i, failed = 0;

	setlocale(LC_CTYPE, "C.UTF-8");
	if (parse_args(argc, argv, &a) < 0) {
		failed = 2;
		goto out;
	}
	for (i = optind; i < argc; i++)
		if (pull_one(argv[i], &a.io) < 0)
			failed = 1;
out:
	platform_release(&a.plat);
	strv_free(a.insecure);
	return failed;
}
