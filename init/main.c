/*
 * hpc-init: PID 1 inside the pod's VM, the last link of the chain
 * spec -> image -> boot. It reads the plan the compiler put in the initrd
 * (docs/image-format.md), brings the VM up, runs the containers, reports
 * on the exit channel and powers off. It never exits: every failure of
 * its own is said on the console, reported as "error" and "pod 1", and
 * followed by a clean power-off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "console.h"
#include "container.h"
#include "errmsg.h"
#include "etc.h"
#include "modules.h"
#include "mounts.h"
#include "net.h"
#include "partitions.h"
#include "plan.h"
#include "mono.h"
#include "power.h"
#include "reap.h"
#include "report.h"
#include "supervise.h"
#include "volumes.h"

#define PLAN_PATH "/hpc/plan"
#define MODULES_DIR "/lib/modules"
#define RUN_DIR "/run/hpc"
#define ETC_DIR RUN_DIR "/etc"
#define PARTITION_TIMEOUT_MS 5000
#define NET_TIMEOUT_MS 5000
#define REPORT_TIMEOUT_MS 3000
/* "hpc run --stop-timeout" puts it on the kernel command line, which
 * hands a word NAME=VALUE without a dot to the init's environment. */
#define STOP_TIMEOUT_ENV "hpc_stop_timeout"
#define STOP_TIMEOUT_MAX_S 86400

/* The init's own failure: say it, report it, power off. */
static void fail(const struct errmsg *e) __attribute__((noreturn));

static void fail(const struct errmsg *e)
{
	console_say("%s", e->msg);
	report_open(REPORT_TIMEOUT_MS, NULL);
	report_event("error %s", e->msg);
	report_event("pod 1");
	power_off();
}

static void check(int r, const struct errmsg *e)
{
	if (r < 0)
		fail(e);
}

static int set_hostname(const char *name, struct errmsg *e)
{
	if (sethostname(name, strlen(name)) < 0)
		return errmsg_set(e, -errno, "cannot set hostname '%s': %s",
				  name, strerror(errno));
	return 0;
}

/*
 * Mount container i's root filesystem, once per filesystem: containers
 * that share one share the lower directory of the first of them.
 */
static int mount_lower(const struct plan *plan, size_t i, char *ret_lower,
		       size_t size, struct errmsg *e)
{
	const char *name = plan->containers[i].rootfs;
	char dev[128];
	size_t first;
	int r;

	for (first = 0; strcmp(plan->containers[first].rootfs, name); first++)
		;
	snprintf(ret_lower, size, RUN_DIR "/lower/%zu", first);
	if (first < i)
		return 0;
	r = partitions_find(name, PARTITION_TIMEOUT_MS, dev, sizeof(dev), e);
	if (r < 0)
		return r;
	return mounts_lower(name, dev, ret_lower, e);
}

/* Each container's overlay root, with the pod's /etc files in it. */
static int prepare_containers(const struct plan *plan,
			      struct container *ctrs, struct errmsg *e)
{
	char lower[256], dir[256];
	size_t i;
	int r;

	for (i = 0; i < plan->n_containers; i++) {
		r = mount_lower(plan, i, lower, sizeof(lower), e);
		if (r < 0)
			return r;
		snprintf(dir, sizeof(dir), RUN_DIR "/c/%zu", i);
		r = container_prepare(&ctrs[i], plan, i, lower, dir, ETC_DIR,
				      e);
		if (r < 0)
			return r;
	}
	return 0;
}

static void open_report(void)
{
	struct errmsg e;

	if (report_open(REPORT_TIMEOUT_MS, &e) < 0)
		console_say("%s: no exit channel, reporting on the console",
			    e.msg);
}

/* The grace period: the host's, in seconds, else the default. */
static unsigned grace_ms(void)
{
	const char *v = getenv(STOP_TIMEOUT_ENV);
	unsigned long s;
	char *end;

	if (!v)
		return SUPERVISE_GRACE_MS;
	s = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || s > STOP_TIMEOUT_MAX_S) {
		console_say("%s '%s' is not a number of seconds from 0 to %d, "
			    "ignoring", STOP_TIMEOUT_ENV, v,
			    STOP_TIMEOUT_MAX_S);
		return SUPERVISE_GRACE_MS;
	}
	return (unsigned)s * 1000;
}

/* What the pod left behind: a zombie here is a process nobody reaped. */
static void count_zombies(void)
{
	int n = reap_count_zombies("/proc");

	if (n < 0)
		return;
	report_event("zombies %d", n);
	if (n > 0)
		console_say("%d zombie processes left at the end of the pod", n);
}

int main(void)
{
	static struct plan plan;
	uint64_t start_ms = mono_ms(), modules_ms;
	struct container *ctrs;
	struct errmsg e;
	int r, status;

	/* Never on a host by mistake: it would mount over the host's /dev. */
	if (getpid() != 1) {
		fputs("hpc-init: not PID 1: run only as a pod VM's init\n",
		      stderr);
		return 1;
	}

	/* /dev first: the console lives there. */
	r = mounts_basic(&e);
	console_open();
	check(r, &e);
	/* Ctrl-Alt-Del becomes SIGINT, a clean stop. */
	reboot(RB_DISABLE_CAD);

	/* A plan that cannot be read names no modules: try them all, for
	 * the exit channel's sake. */
	r = plan_load(PLAN_PATH, &plan, &e);
	if (r < 0)
		modules_load_dir(MODULES_DIR);
	check(r, &e);
	check(modules_load(plan.modules, &e), &e);
	modules_ms = mono_ms();
	open_report();
	/* Both marks wait for the channel, which the modules bring. */
	report_event("time %llu init", (unsigned long long)start_ms);
	report_event("time %llu modules", (unsigned long long)modules_ms);

	/* The pod's identity and network, shared by its containers. */
	check(set_hostname(plan.hostname, &e), &e);
	check(etc_prepare(ETC_DIR, &plan, &e), &e);
	r = net_up(plan.ip, plan.netmask, plan.gateway, NET_TIMEOUT_MS, &e);
	if (r == -ENXIO)
		console_say("%s, running with loopback only", e.msg);
	else
		check(r, &e);
	report_event("time %llu network", (unsigned long long)mono_ms());

	/* Volumes once each, shared by the containers that mount them. */
	check(volumes_mount(&plan, VOLUMES_DIR, PARTITION_TIMEOUT_MS, &e), &e);

	/* Root filesystems read-only, an overlay per container. */
	ctrs = calloc(plan.n_containers, sizeof(*ctrs));
	if (!ctrs)
		fail(&(struct errmsg){ "out of memory" });
	check(prepare_containers(&plan, ctrs, &e), &e);
	report_event("time %llu ready", (unsigned long long)mono_ms());

	/* Run until no container is left to run. */
	status = supervise_run(ctrs, plan.n_containers, grace_ms(), &e);
	check(status, &e);
	count_zombies();
	report_event("time %llu pod", (unsigned long long)mono_ms());
	report_event("pod %d", status);
	power_off();
}
