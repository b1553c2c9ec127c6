/*
 * limit: the table of build limits and their flags. See limit.h.
 */
#include "limit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

struct limits limits = {
	.pod_bytes = 16 * MiB,
	.json_depth = 100,
	.containers = 64,
	.layers = 256,
	.layer_bytes = 64 * GiB,
	.rootfs_bytes = 64 * GiB,
	.layer_entries = 1000000,
	.path_depth = 1024,
	.name_bytes = 255,
	.registry_seconds = 3600,
	.stall_seconds = 60,
};

const struct limit_flag limit_flags[] = {
	{ .flag = "max-pod-size", .value = &limits.pod_bytes,
	  .max = 1024 * MiB, .size = 1, .what = "pod file size" },
	{ .flag = "max-json-depth", .value = &limits.json_depth,
	  .max = 900, .what = "JSON nesting depth" },
	{ .flag = "max-containers", .value = &limits.containers,
	  .max = 4096, .what = "containers in a pod" },
	{ .flag = "max-layers", .value = &limits.layers,
	  .max = 65536, .what = "layers in an image" },
	{ .flag = "max-layer-size", .value = &limits.layer_bytes,
	  .max = UINT64_MAX, .size = 1, .what = "bytes in one layer or pod file" },
	{ .flag = "max-rootfs-size", .value = &limits.rootfs_bytes,
	  .max = UINT64_MAX, .size = 1, .what = "bytes in a root filesystem" },
	{ .flag = "max-layer-entries", .value = &limits.layer_entries,
	  .max = UINT64_MAX, .what = "entries in one layer" },
	{ .flag = "max-path-depth", .value = &limits.path_depth,
	  .max = 2048, .what = "directory depth" },
	{ .flag = "max-name-length", .value = &limits.name_bytes,
	  .max = 255, .what = "bytes in a name" },
	{ .flag = "registry-timeout", .value = &limits.registry_seconds,
	  .max = 7 * 24 * 3600, .what = "seconds a registry request may take" },
	{ .flag = "registry-stall-timeout", .value = &limits.stall_seconds,
	  .max = 24 * 3600, .what = "seconds a registry may send nothing" },
};

const unsigned int n_limit_flags = ARRAY_SIZE(limit_flags);

static const struct {
	char suffix;
	uint64_t mult;
} suffixes[] = {
	{ 'K', KiB }, { 'M', MiB }, { 'G', GiB }, { 'T', 1024 * GiB },
};

/* parse_number - a decimal number, with a size suffix when size is set. */
static int parse_number(const char *s, int size, uint64_t *ret)
{
	unsigned long long n;
	uint64_t mult = 1;
	char *end;
	size_t i;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (i = 0; size && *end && i < ARRAY_SIZE(suffixes); i++)
		if ((*end | 0x20) == (suffixes[i].suffix | 0x20)) {
			mult = suffixes[i].mult;
			end++;
			if (*end == 'i' && end[1] == 'B')
				end += 2;
			break;
		}
	if (*end || n > UINT64_MAX / mult)
		return -EINVAL;
	*ret = n * mult;
	return 0;
}

int limit_set(const char *flag, const char *text, struct hpc_err *err)
{
	const struct limit_flag *f;
	uint64_t v;
	unsigned int i;

	for (i = 0; i < n_limit_flags; i++) {
		f = &limit_flags[i];
		if (strcmp(f->flag, flag))
			continue;
		if (parse_number(text, f->size, &v) < 0 || v == 0 || v > f->max)
			return err_set(err, -EINVAL, "--%s: '%s' is not a "
				       "number from 1 to %llu%s", flag, text,
				       (unsigned long long)f->max,
				       f->size ? " (K, M, G, T allowed)" : "");
		*f->value = v;
		return 0;
	}
	return -ENOENT;
}

const char *limit_flag_of(const uint64_t *value)
{
	unsigned int i;

	for (i = 0; i < n_limit_flags; i++)
		if (limit_flags[i].value == value)
			return limit_flags[i].flag;
	return "?";
}

int limit_exceeded(struct hpc_err *err, int code, const uint64_t *value,
		    uint64_t got, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (got)
		return err_set(err, code, "%s: %llu, over the limit of %llu "
			       "(--%s raises it)", what,
			       (unsigned long long)got,
			       (unsigned long long)*value,
			       limit_flag_of(value));
	return err_set(err, code, "%s: over the limit of %llu (--%s raises "
		       "it)", what, (unsigned long long)*value,
		       limit_flag_of(value));
}

uint64_t limit_json_depth(const char *text, size_t len, uint64_t stop_at)
{
	uint64_t depth = 0, deepest = 0;
	int in_string = 0;
	size_t i;

	for (i = 0; i < len && deepest <= stop_at; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > deepest)
				deepest = depth;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return deepest;
}
