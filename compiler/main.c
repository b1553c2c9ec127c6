/*
 * main: the hpc command. Dispatches to the subcommands: build (the
 * compiler pipeline), pull (its fetch stage alone), run (the runtime
 * stub), validate (the spec stage alone), inspect and cache (upkeep of
 * the blob cache).
 */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "cache_cmd.h"
#include "inspect.h"
#include "pull.h"
#include "run.h"
#include "util.h"
#include "validate.h"

#ifndef HPC_VERSION
#define HPC_VERSION "0.1.0"
#endif

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ .name = "build", .fn = build_main,
	  .summary = "compile a pod file into a bootable disk image" },
	{ .name = "pull", .fn = pull_main,
	  .summary = "fetch images into the blob cache and verify them" },
	{ .name = "run", .fn = run_main,
	  .summary = "boot a pod image with QEMU and return its status" },
	{ .name = "validate", .fn = validate_main,
	  .summary = "check a pod file and report every problem in it" },
	{ .name = "inspect", .fn = inspect_main,
	  .summary = "show what a pod image holds" },
	{ .name = "cache", .fn = cache_main,
	  .summary = "verify or prune the blob cache" },
};

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: hpc [--version] COMMAND [ARGS]\n\ncommands:\n", f);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fputs("\n'hpc help COMMAND' or 'hpc COMMAND --help' describes a "
	      "command.\n", f);
}

/* "hpc help [COMMAND]": the overview, or the command's own --help. */
static int help(int argc, char **argv)
{
	char *args[] = { argv[1], "--help", NULL };
	size_t i;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(2, args);
	fprintf(stderr, "hpc: help: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("hpc %s\n", HPC_VERSION);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hpc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
