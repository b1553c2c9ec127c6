/*
 * image-dump: print what image_open makes of a reference, for the image
 * integration test: the config digest and fields, then one line per
 * layer; or "error: MESSAGE" and exit status 1.
 *
 *   image-dump [-c CACHE] [-p OS/ARCH] REF
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

static void print_strv(const char *key, char **v)
{
	size_t i;

	if (!v) {
		printf("%s none\n", key);
		return;
	}
	printf("%s", key);
	for (i = 0; v[i]; i++)
		printf(" [%s]", v[i]);
	printf("\n");
}

static void print_image(const struct image *img)
{
	size_t i;

	printf("config %s\n", img->config_digest);
	print_strv("env", img->config.env);
	print_strv("entrypoint", img->config.entrypoint);
	print_strv("cmd", img->config.cmd);
	printf("workdir %s\n", img->config.working_dir ?: "none");
	printf("user %s\n", img->config.user ?: "none");
	printf("stopsignal %s\n", img->config.stop_signal ?: "none");
	printf("layers %zu\n", img->n_layers);
	for (i = 0; i < img->n_layers; i++)
		printf("layer %s %llu %s %s\n", img->layers[i].digest,
		       (unsigned long long)img->layers[i].size,
		       img->layers[i].media_type, img->layers[i].path);
}

int main(int argc, char **argv)
{
	struct image_opts opts = { 0 };
	struct hpc_err err = { { 0 } };
	struct image *img = NULL;
	char *plat = NULL, *slash;
	int c;

	while ((c = getopt(argc, argv, "c:p:")) != -1) {
		if (c == 'c') {
			opts.cache_dir = optarg;
		} else if (c == 'p') {
			plat = optarg;
			slash = strchr(plat, '/');
			if (!slash)
				return 2;
			*slash = '\0';
			opts.os = plat;
			opts.arch = slash + 1;
		} else {
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fputs("usage: image-dump [-c CACHE] [-p OS/ARCH] REF\n", stderr);
		return 2;
	}
	if (image_open(argv[optind], &opts, &img, &err) < 0) {
		printf("error: %s\n", err.msg);
		return 1;
	}
	print_image(img);
	image_free(img);
	return 0;
}
