/*
 * spec_storage: the pod's files and volumes, and the containers' references
 * to them, as the spec stage reads them from pod.json.
 *
 * Stage "spec" of the pipeline, beside spec.c: pod "files" and "volumes",
 * container "files" and "volumes" are parsed and checked here (types,
 * octal perm, base64 content, unique names, references that resolve,
 * volume formats hpc supports). What needs the host (a source path, a
 * fetch, a sha256) is checked later, by podfiles.c and volume.c. spec.c
 * calls in through the table rows of these four keys and reports every
 * problem through struct spec_storage_diag, so messages look the same.
 */
#ifndef HPC_SPEC_STORAGE_H
#define HPC_SPEC_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define SPEC_VOLUME_DEFAULT_SIZE (1ull << 30)
/* A volume's GPT partition is named the prefix and the volume's name. */
#define SPEC_VOLUME_PART_PREFIX "hpc-vol-"
/* GPT names hold 36 characters; the prefix takes 8 of them. */
#define SPEC_VOLUME_NAME_MAX 28

/* A pod file: its bytes come from content or, winning, from uri. */
struct spec_file {
	char *name;
	char *uri;		/* NULL: the content */
	char *content;		/* decoded bytes (NUL-ended), or NULL */
	size_t content_len;
	bool base64;		/* content was written in base64 */
	char *sha256;		/* 64 lowercase hex digits, or NULL */
};

/* A container's file: pod file filename baked in at path. */
struct spec_file_ref {
	char *path;		/* absolute; a trailing '/' gets the name */
	char *filename;		/* a pod file's name */
	unsigned int perm;	/* 0755 unless written */
	char *user;		/* a name or a number; NULL: root */
	char *group;		/* a name or a number; NULL: root */
};

enum spec_volume_format {
	SPEC_VOLUME_VFS,	/* a host directory or file, baked into ext4 */
	SPEC_VOLUME_EMPTY,	/* vfs with no source: an empty ext4 */
	SPEC_VOLUME_RAW,	/* the source's bytes as they are */
	SPEC_VOLUME_QCOW2,	/* a qcow2 source, converted to raw */
};

struct spec_volume {
	char *name;
	char *source;		/* NULL for an empty volume */
	enum spec_volume_format format;
	uint64_t size;		/* bytes; 0 when not written */
	char *fstype;		/* NULL: ext4 */
};

/* A container's volume: pod volume volume mounted at path. */
struct spec_volume_ref {
	char *path;
	char *volume;
	bool read_only;
};

/* How spec.c lets this module report, so messages share one form. */
struct spec_storage_diag {
	void (*bad)(void *ctx, const char *path, const char *msg);
	void (*warn)(void *ctx, const char *path, const char *msg);
	void *ctx;
};

struct spec_storage_pod {
	struct spec_file *files;
	size_t n_files;
	struct spec_volume *volumes;
	size_t n_volumes;
};

struct spec_storage_container {
	struct spec_file_ref *files;
	size_t n_files;
	struct spec_volume_ref *volumes;
	size_t n_volumes;
};

/* The four keys: v is the key's value, path its JSON path. */
void spec_storage_pod_files(const struct spec_storage_diag *d,
			    const char *path, const cJSON *v,
			    struct spec_storage_pod *pod);
void spec_storage_pod_volumes(const struct spec_storage_diag *d,
			      const char *path, const cJSON *v,
			      struct spec_storage_pod *pod);
void spec_storage_ct_files(const struct spec_storage_diag *d,
			   const char *path, const cJSON *v,
			   struct spec_storage_container *ct);
void spec_storage_ct_volumes(const struct spec_storage_diag *d,
			     const char *path, const cJSON *v,
			     struct spec_storage_container *ct);

/*
 * spec_storage_check - the checks that need the whole pod: unique names,
 * references that resolve. ct_path names the container in messages
 * ("containers[1]").
 */
void spec_storage_check_pod(const struct spec_storage_diag *d,
			    const struct spec_storage_pod *pod);
void spec_storage_check_container(const struct spec_storage_diag *d,
				  const char *ct_path,
				  const struct spec_storage_pod *pod,
				  const struct spec_storage_container *ct);

/* spec_storage_find_file, _volume - the pod's by name, or NULL. */
const struct spec_file *
spec_storage_find_file(const struct spec_storage_pod *pod, const char *name);
const struct spec_volume *
spec_storage_find_volume(const struct spec_storage_pod *pod, const char *name);

/* spec_volume_format_name - "vfs", "raw" or "qcow2" ("vfs" when empty). */
const char *spec_volume_format_name(enum spec_volume_format f);

void spec_storage_pod_release(struct spec_storage_pod *pod);
void spec_storage_container_release(struct spec_storage_container *ct);

#endif
