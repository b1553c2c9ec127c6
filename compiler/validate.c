/*
 * validate: check a pod file without building it (see validate.h).
 * Exit status: 0 for a valid pod, 2 for an invalid one or a usage error,
 * 1 when the file cannot be read.
 */
#include "validate.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "limit.h"
#include "spec.h"
#include "specjson.h"

static const char usage_text[] =
	"usage: hpc validate POD [--json] [--strict] [--max-pod-size SIZE]\n"
	"                        [--max-json-depth N] [--max-containers N]\n"
	"\n"
	"Check the pod file POD and report every problem in it.\n"
	"\n"
	"      --json     print the normalised pod (aliases resolved,\n"
	"                 defaults filled in) on stdout\n"
	"      --strict   treat warnings about the pod file as errors\n"
	"      --max-pod-size, --max-json-depth, --max-containers\n"
	"                 the pod-level limits, as for hpc build\n";

enum { OPT_JSON = 256, OPT_STRICT, OPT_LIMIT };

/* The limits that apply to the pod file itself, as hpc build has them. */
static const struct option long_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "max-pod-size", required_argument, NULL, OPT_LIMIT },
	{ "max-json-depth", required_argument, NULL, OPT_LIMIT },
	{ "max-containers", required_argument, NULL, OPT_LIMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int print_json(const struct spec_pod *pod)
{
	cJSON *o = specjson_pod(pod);
	char *text = cJSON_Print(o);

	cJSON_Delete(o);
	if (!text)
		abort();
	puts(text);
	free(text);
	return 0;
}

int validate_main(int argc, char **argv)
{
	struct hpc_err err = { .msg = "" };
	struct spec_pod *pod = NULL;
	bool json = false, strict = false;
	int c, rc, at;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_options, &at)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_STRICT: strict = true; break;
		case OPT_LIMIT:
			if (limit_set(long_options[at].name, optarg, &err) < 0) {
				err_print(&err);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_bad_option("validate", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("validate", "no pod file: name one, as in "
				   "'hpc validate POD'");
	if (optind != argc - 1)
		return usage_error("validate", "'%s': one pod file only, and "
				   "this is a second argument",
				   argv[optind + 1]);
	rc = spec_load(argv[optind], strict, &pod, &err);
	if (rc < 0) {
		err_print(&err);
		return rc == -EINVAL || rc == -EFBIG ? 2 : 1;
	}
	if (json)
		print_json(pod);
	spec_free(pod);
	return 0;
}
