/*
 * limit: how much hostile input a build accepts before it stops. Each
 * stage of spec -> fetch -> pack checks its own: the pod file's size and
 * JSON nesting (spec), containers a pod and layers an image (spec,
 * fetch), the time a registry may take and a pod file's bytes (fetch),
 * a layer's entries and expanded bytes, a root filesystem's total, path
 * depth and name length (pack). Each has a default and an "hpc build"
 * flag; an exceeded limit is an error that names both.
 */
#ifndef HPC_LIMIT_H
#define HPC_LIMIT_H

#include <stdint.h>

#include "util.h"

struct limits {
	uint64_t pod_bytes;		/* --max-pod-size */
	uint64_t json_depth;		/* --max-json-depth */
	uint64_t containers;		/* --max-containers */
	uint64_t layers;		/* --max-layers */
	uint64_t layer_bytes;		/* --max-layer-size, pod files too */
	uint64_t rootfs_bytes;		/* --max-rootfs-size */
	uint64_t layer_entries;		/* --max-layer-entries */
	uint64_t path_depth;		/* --max-path-depth */
	uint64_t name_bytes;		/* --max-name-length */
	uint64_t registry_seconds;	/* --registry-timeout */
	uint64_t stall_seconds;		/* --registry-stall-timeout */
};

/* The limits in force: the defaults until limit_set changes one. */
extern struct limits limits;

/* One limit as the command line sees it. */
struct limit_flag {
	const char *flag;		/* without the leading "--" */
	uint64_t *value;
	uint64_t max;			/* the largest value that makes sense */
	int size;			/* takes K, M, G, T suffixes (powers of 2) */
	const char *what;		/* for usage and messages */
};

extern const struct limit_flag limit_flags[];
extern const unsigned int n_limit_flags;

/*
 * limit_set - set the limit of flag (without "--") from text such as
 * "64G" or "256". Returns 0, -ENOENT for no such flag, or -EINVAL with a
 * message in err.
 */
int limit_set(const char *flag, const char *text, struct hpc_err *err);

/* limit_flag_of - the flag of the limit stored at value, for messages. */
const char *limit_flag_of(const uint64_t *value);

/*
 * limit_exceeded - fill err with "WHAT: GOT, over the limit of MAX
 * (--FLAG raises it)" and return code.
 */
int limit_exceeded(struct hpc_err *err, int code, const uint64_t *value,
		    uint64_t got, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * limit_json_depth - the deepest nesting of arrays and objects in the
 * len bytes of JSON at text (strings skipped), stopping early once past
 * stop_at.
 */
uint64_t limit_json_depth(const char *text, size_t len, uint64_t stop_at);

#endif
