/*
 * pipeline: the steps of "hpc build", from pod file to disk image:
 * spec -> fetch -> plan -> pack. build.c reads the command line; this
 * module runs the steps.
 */
#ifndef HPC_PIPELINE_H
#define HPC_PIPELINE_H

#include <stdbool.h>

#include "diskfmt.h"
#include "util.h"

struct pipeline_opts {
	const char *pod_path;
	const char *output;
	const char *kernel;	/* NULL: the newest installed */
	const char *moddir;	/* NULL: /lib/modules/VERSION */
	const char *init;	/* NULL: beside the hpc binary */
	const char *cache;	/* NULL: $XDG_CACHE_HOME/hpc */
	const char *os, *arch;	/* --platform; NULL: linux/amd64 */
	const char *variant;	/* NULL: any */
	const char *const *insecure_registries;	/* NULL-terminated, or NULL */
	bool offline;		/* registry images only from the cache */
	bool owner_set;		/* --owner: one owner for dir: images */
	uint32_t owner_uid, owner_gid;
	unsigned int reserve_percent;
	bool strict;
	enum diskfmt format;	/* of the output file */
	bool compress;		/* qcow2 only: zstd-compressed clusters */
};

/*
 * pipeline_run - build opts->output from opts->pod_path. Returns 0, or a
 * negative errno with the message in err; *ret_bad_pod tells whether the
 * pod file itself was wrong. On failure no output file is left behind.
 */
int pipeline_run(const struct pipeline_opts *opts, bool *ret_bad_pod,
		 struct hpc_err *err);

#endif
