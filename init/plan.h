/*
 * plan: the init plan, /hpc/plan in the initrd. The compiler writes the
 * validated, merged pod as "KEY VALUE" lines (docs/image-format.md); the
 * init decodes them here into a struct plan before it touches anything.
 */
#ifndef HPC_INIT_PLAN_H
#define HPC_INIT_PLAN_H

#include <stddef.h>

#include "errmsg.h"

enum plan_restart {
	PLAN_RESTART_NEVER,
	PLAN_RESTART_ON_FAILURE,
	PLAN_RESTART_ALWAYS,
};

struct plan_container {
	char *name;
	char *rootfs;		/* a GPT partition name */
	char **argv;		/* NULL-terminated; argv[0] is the program */
	size_t argc;
	char **envp;		/* NULL-terminated NAME=VALUE */
	size_t envc;
	char *workdir;		/* "/" unless the plan says */
	char *user;		/* as written, "" for root */
	enum plan_restart restart;
	int stopsignal;		/* SIGTERM unless the plan says */
	int sidecar;		/* stopped once the others have ended */
	int tty;		/* the console is its terminal */
};

struct plan {
	int version;
	char *name;
	char *hostname;		/* the name when the plan gives none */
	char *ip;		/* NULL: leave eth0 alone */
	char *netmask;
	char *gateway;
	char **dns;		/* NULL-terminated */
	size_t n_dns;
	int tty;
	char **modules;		/* NULL-terminated, in load order */
	size_t n_modules;
	struct plan_container *containers;
	size_t n_containers;
};

/*
 * plan_parse - decode len bytes of plan text into *ret (zeroed first).
 * Unknown keys are ignored. Returns 0, or -EINVAL ("plan line N: ...") or
 * -ENOMEM with a message in e; on failure *ret holds nothing to free.
 * Free a parsed plan with plan_release.
 */
int plan_parse(const char *text, size_t len, struct plan *ret,
	       struct errmsg *e);

/* plan_load - read path and plan_parse it. */
int plan_load(const char *path, struct plan *ret, struct errmsg *e);

/* plan_release - free what *p owns; p may be NULL or zeroed. */
void plan_release(struct plan *p);

/*
 * plan_restart_name - "never", "onFailure" or "always".
 */
const char *plan_restart_name(enum plan_restart r);

#endif
