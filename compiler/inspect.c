/*
 * inspect: print a pod image's manifest, as a summary or as JSON. See
 * inspect.h.
 */
#include "inspect.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "podimage.h"
#include "util.h"

static const char usage_text[] =
	"usage: hpc inspect IMG [--json]\n"
	"\n"
	"Show what the pod image IMG holds: the pod, its containers, the\n"
	"partitions, and the kernel's and initrd's digests.\n"
	"\n"
	"      --json     print the image's manifest as it is stored\n";

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

int inspect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hpc_err err = { .msg = "" };
	bool json = false;
	char *text = NULL;
	cJSON *m;
	size_t len;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else {
			fputs(usage_text, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return 2;
	}
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
	if (json)
		printf("%s\n", text);
	else
		print_summary(m);
	cJSON_Delete(m);
	free(text);
	return 0;
}
