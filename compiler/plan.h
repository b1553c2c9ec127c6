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

struct plan_container {
	char *name;
	char *rootfs;		/* the GPT name of its root filesystem */
	char **argv;
	char **env;
	char *workdir;
	char *user;		/* "" for root */
	enum spec_restart restart;
	int stop_signal;
	bool sidecar;
	bool tty;
};

struct plan {
	char *name;
	char *hostname;
	bool tty;
	char **modules;		/* paths inside the initrd, in load order */
	struct plan_container *containers;
	size_t n_containers;
};

/*
 * plan_container_merge - fill out from the pod's container and its image's
 * config: a pod entrypoint resets the image's Cmd unless the pod also
 * gives a command; pod env entries override the image's of the same name;
 * PATH gets the usual default when neither sets it; DVM_POD_IP and
 * HOSTNAME are set. Returns -EINVAL with a message when the result has no
 * command or the image's StopSignal is unknown.
 */
int plan_container_merge(const struct spec_pod *pod,
			 const struct spec_container *ct,
			 const struct image_config *cfg, const char *rootfs,
			 struct plan_container *out, struct hpc_err *err);

/* plan_signal_number - "SIGTERM", "TERM" or "15" to 15; -1 if unknown. */
int plan_signal_number(const char *s);

/* plan_encode - the plan's text, newly allocated; the caller frees it. */
char *plan_encode(const struct plan *plan);

/* plan_release - free what plan holds (not plan itself). */
void plan_release(struct plan *plan);

#endif
