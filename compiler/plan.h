/*
 * plan: the pod as the init will run it.
 *
 * Stage "plan" of the pipeline: each container of the spec merged with its
 * image's config the way Docker merges them, then encoded in the text
 * format the init reads without a JSON library (docs/image-format.md).
 */
#ifndef HPC_PLAN_H
#define HPC_PLAN_H

#include <stdbool.h>

#include "image.h"
#include "spec.h"
#include "util.h"

#define PLAN_POD_IP "10.0.2.15"
#define PLAN_NETMASK "255.255.255.0"
#define PLAN_GATEWAY "10.0.2.2"
#define PLAN_DNS "10.0.2.3"
#define PLAN_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A pod volume mounted into a container (docs/image-format.md). */
struct plan_mount {
	char *volume;		/* the pod volume's name: hpc-vol-NAME */
	char *path;		/* inside the container */
	char *file;		/* the one file of a file volume, or NULL */
	bool read_only;
};

struct plan_container {
	char *name;
	char *rootfs;		/* the GPT name of its root filesystem */
	char **argv;
	char **env;
	char *workdir;
	char *user;		/* "" for root */
	char **groups;		/* additional groups, names or gids */
	enum spec_restart restart;
	int stop_signal;
	bool sidecar;
	struct plan_mount *mounts;
	size_t n_mounts;
	bool tty;
	bool read_only;		/* no writable upper over the root */
	char **sysctl;		/* "name=value", set in its namespaces */
};

struct plan {
	char *name;
	char *hostname;
	bool tty;
	char **dns;		/* nameservers; QEMU's when the pod sets none */
	char **dns_search;
	char **dns_options;
	char **modules;		/* paths inside the initrd, in load order */
	struct plan_container *containers;
	size_t n_containers;
};

/*
 * plan_container_merge - fill out from the pod's container and its image's
 * config: a pod entrypoint resets the image's Cmd unless the pod also
 * gives a command; pod env entries override the image's of the same name;
 * PATH gets the usual default when neither sets it; DVM_POD_IP and
 * HOSTNAME are set unless the pod's env sets them. Returns -EINVAL with a message when the result has no
 * command or the image's StopSignal is unknown.
 */
int plan_container_merge(const struct spec_pod *pod,
			 const struct spec_container *ct,
			 const struct image_config *cfg, const char *rootfs,
			 struct plan_container *out, struct hpc_err *err);

/*
 * plan_container_mount - add a mount of volume at path to c; file, when
 * not NULL, is the one file of the volume mounted there. Strings are
 * copied.
 */
void plan_container_mount(struct plan_container *c, const char *volume,
			  const char *path, const char *file, bool read_only);

/* plan_signal_number - "SIGTERM", "TERM" or "15" to 15; -1 if unknown. */
int plan_signal_number(const char *s);

/*
 * plan_pod_fill - the pod-wide fields of plan (name, hostname, tty, the
 * resolver) from pod; modules and containers are left alone.
 */
void plan_pod_fill(struct plan *plan, const struct spec_pod *pod);

/* plan_encode - the plan's text, newly allocated; the caller frees it. */
char *plan_encode(const struct plan *plan);

/* plan_release - free what plan holds (not plan itself). */
void plan_release(struct plan *plan);

#endif
