/*
 * vm: the QEMU process of one "hpc run": start it, watch it, stop it.
 *
 * Boot side of the chain. While QEMU runs, this loop reads the exit
 * channel, reacts to the signals the caller has blocked and routed to a
 * signalfd, and enforces the time limit. A signal asks the pod to stop:
 * "stop" on the exit channel, so the init gives each container its stop
 * signal and grace period and powers off. Stopping QEMU itself, when the
 * guest does not go in time, on a second signal or at the time limit, is
 * a SIGTERM (QEMU then shuts down on its own), then a SIGKILL if it
 * lingers.
 */
#ifndef HPC_VM_H
#define HPC_VM_H

#include <signal.h>
#include <stdbool.h>

#include "channel.h"
#include "util.h"

/* How long QEMU may take to go after SIGTERM before it gets SIGKILL. */
#define VM_KILL_GRACE_MS 5000
/* How long the VM may linger after the init reported the pod's status. */
#define VM_POWEROFF_GRACE_MS 10000
/* After the guest's grace period, how long it has to sync and power off. */
#define VM_STOP_MARGIN_MS 5000

enum vm_end {
	VM_EXITED,		/* QEMU ended on its own */
	VM_TIMED_OUT,		/* the time limit ran out; we stopped it */
	VM_SIGNALLED,		/* we got SIGINT, SIGTERM or SIGHUP */
};

struct vm_opts {
	char *const *argv;		/* argv[0] is looked up in PATH */
	const sigset_t *child_mask;	/* the signal mask QEMU starts with */
	int sigfd;			/* signalfd: SIGCHLD, INT, TERM, HUP */
	int listen_fd;			/* the exit channel; vm_run closes it */
	int stderr_fd;			/* QEMU's stderr; -1: ours */
	unsigned timeout_s;		/* 0: no limit */
	unsigned stop_timeout_s;	/* the guest's grace period */
	bool terminal;			/* QEMU's console is our terminal */
	struct channel *channel;	/* fed with what the init reports */
};

struct vm_result {
	enum vm_end end;
	int signo;			/* VM_SIGNALLED: which signal */
	int wait_status;		/* QEMU's, as waitpid gives it */
	bool lingered;			/* it outlived VM_POWEROFF_GRACE_MS */
	bool forced;			/* the guest did not stop in time */
	int64_t start_ms, stop_ms, end_ms; /* CLOCK_MONOTONIC; stop 0: none */
};

/*
 * vm_run - start QEMU and wait for it to end, feeding the channel. Unless
 * o->terminal, QEMU reads no terminal (stdin is /dev/null) and runs in a
 * process group of its own, so a Ctrl-C reaches only us and becomes a
 * clean stop. Fills *ret and returns 0 once QEMU is gone; -errno with a
 * message in err if QEMU could not be started.
 */
int vm_run(const struct vm_opts *o, struct vm_result *ret,
	   struct hpc_err *err);

#endif
