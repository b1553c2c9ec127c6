/*
 * spec: the pod file, parsed, checked and normalised.
 *
 * Stage "spec" of the pipeline: pod.json -> struct spec_pod. Both pod
 * dialects are accepted (the short spec and the original daemon's), keys
 * match case-insensitively, and every problem found is reported, each
 * with the JSON path of the field, not only the first.
 */
#ifndef HPC_SPEC_H
#define HPC_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "spec_storage.h"
#include "util.h"

/*
 * The smallest VM that boots, in MiB: Debian's standard kernel needs 88
 * booted directly and 96 through GRUB, the cloud kernel 72 and 84 (see
 * docs/decisions.md); hpc run has the same floor.
 */
#define SPEC_MEMORY_MIN 128

enum spec_restart {
	SPEC_RESTART_UNSET,
	SPEC_RESTART_NEVER,
	SPEC_RESTART_ON_FAILURE,
	SPEC_RESTART_ALWAYS,
};

/* One published port, or a range of count ports from the first. */
struct spec_port {
	unsigned int container_port;
	unsigned int host_port;		/* 0: a free port chosen by hpc run */
	unsigned int count;		/* 1 for a single port */
	bool udp;
};

struct spec_container {
	char *name;
	char *image;
	char **command;		/* NULL when the pod does not set it */
	char **entrypoint;	/* NULL when the pod does not set it */
	char **env;		/* "NAME=VALUE", in the pod's order */
	char *workdir;		/* NULL: the image's */
	char *user;		/* NULL: the image's */
	char **groups;		/* additionalGroups, names or gids */
	enum spec_restart restart;	/* the pod's when unset */
	bool sidecar;		/* stopped when the other containers end */
	struct spec_storage_container storage;	/* files and volumes */
	bool tty;		/* the console is its terminal */
	bool read_only;		/* the root filesystem has no writable upper */
	char **sysctl;		/* "name=value", in the pod's order */
	char **labels;		/* "key=value" */
	struct spec_port *ports;
	size_t n_ports;
};

struct spec_pod {
	char *name;
	char *hostname;		/* the name when unset */
	unsigned int memory;	/* MiB */
	unsigned int vcpu;
	bool tty;		/* after checks: one container has the tty */
	enum spec_restart restart;
	char **dns;		/* nameserver addresses; NULL: QEMU's */
	char **dns_search;
	char **dns_options;
	char **labels;		/* "key=value" */
	struct spec_port *ports;	/* portmappings */
	size_t n_ports;
	struct spec_container *containers;
	size_t n_containers;
	char *dir;		/* the pod file's directory */
	struct spec_storage_pod storage;	/* files and volumes */
};

/* spec_restart_name - "never", "onFailure" or "always". */
const char *spec_restart_name(enum spec_restart r);

/*
 * spec_parse - parse and check the pod held in text (len bytes); path
 * names the file in messages and gives the directory relative image
 * paths are resolved against. On success *ret is a new pod, freed with
 * spec_free. On failure returns -EINVAL with every problem in err, one a
 * line. Warnings (unknown keys, a command written as a string) go to
 * stderr; with strict set they are errors.
 */
int spec_parse(const char *text, size_t len, const char *path, bool strict,
	       struct spec_pod **ret, struct hpc_err *err);

/*
 * spec_load - read path and spec_parse it. The pod-level limits (the
 * file's size, -EFBIG; JSON nesting and containers, -EINVAL) apply here,
 * so that validate and build agree.
 */
int spec_load(const char *path, bool strict, struct spec_pod **ret,
	      struct hpc_err *err);

void spec_free(struct spec_pod *pod);

#endif
