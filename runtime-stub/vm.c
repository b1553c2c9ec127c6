/*
 * vm: start and supervise QEMU. See vm.h.
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Upper bound on one wait, so that a lost SIGCHLD costs at most this. */
#define VM_POLL_MAX_MS 1000

struct vm {
	const struct vm_opts *o;
	pid_t pid;
	int lfd, cfd;
	bool gone;
	int64_t deadline;	/* the time limit, or 0 */
	int64_t kill_at;	/* after SIGTERM: when SIGKILL follows, or 0 */
	int64_t linger_at;	/* after "pod": when we stop QEMU, or 0 */
	int64_t give_up_at;	/* after "stop": when we stop QEMU, or 0 */
	bool stop_pending;	/* asked before QEMU connected the channel */
	struct vm_result res;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int vm_spawn(struct vm *vm, struct hpc_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	sigset_t all;
	int r;

	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (!vm->o->terminal) {
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
						 "/dev/null", O_RDONLY, 0);
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	if (vm->o->stderr_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, vm->o->stderr_fd,
						 STDERR_FILENO);
	posix_spawnattr_setflags(&attr, flags);
	posix_spawnattr_setsigmask(&attr, vm->o->child_mask);
	posix_spawnattr_setsigdefault(&attr, &all);
	r = posix_spawnp(&vm->pid, vm->o->argv[0], &fa, &attr,
			 vm->o->argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return err_set(err, -r, "cannot run '%s': %s",
			       vm->o->argv[0], strerror(r));
	return 0;
}

/* Ask QEMU to go; it gets SIGKILL if still there after the grace. */
static void vm_stop(struct vm *vm)
{
	if (vm->kill_at)
		return;
	kill(vm->pid, SIGTERM);
	vm->kill_at = now_ms() + VM_KILL_GRACE_MS;
}

/* Write the stop request now, or once QEMU connects the channel. */
static void vm_send_stop(struct vm *vm)
{
	const char *req = CHANNEL_STOP_REQUEST;

	if (vm->cfd < 0) {
		vm->stop_pending = true;
		return;
	}
	vm->stop_pending = false;
	if (send(vm->cfd, req, strlen(req), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		vm->give_up_at = now_ms();	/* no way to ask: stop QEMU */
}

/*
 * Ask the pod to stop: the guest has its grace period and a margin to
 * power off before we stop QEMU ourselves.
 */
static void vm_ask_stop(struct vm *vm)
{
	int64_t t = now_ms();

	vm->res.stop_ms = t;
	vm->give_up_at = t + (int64_t)vm->o->stop_timeout_s * 1000 +
			 VM_STOP_MARGIN_MS;
	vm_send_stop(vm);
}

static void vm_reap(struct vm *vm)
{
	int st;

	if (!vm->gone && waitpid(vm->pid, &st, WNOHANG) == vm->pid) {
		vm->gone = true;
		vm->res.wait_status = st;
	}
}

/* Read what the channel holds now; close it at its end. */
static void vm_read_channel(struct vm *vm)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(vm->cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		vm->o->channel->now_ms = now_ms();
		channel_feed(vm->o->channel, buf, n);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close(vm->cfd);
		vm->cfd = -1;
	}
}

static void vm_accept(struct vm *vm)
{
	int fd = accept4(vm->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	vm->cfd = fd;
	close(vm->lfd);
	vm->lfd = -1;
	if (vm->stop_pending)
		vm_send_stop(vm);
}

/*
 * The first stop signal asks the pod to stop; a second does not wait for
 * the guest's grace, and a third not for QEMU's.
 */
static void vm_on_signal(struct vm *vm)
{
	struct signalfd_siginfo si;

	while (read(vm->o->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (vm->kill_at && vm->res.end == VM_SIGNALLED) {
			kill(vm->pid, SIGKILL);
			continue;
		}
		if (vm->res.end == VM_EXITED) {
			vm->res.end = VM_SIGNALLED;
			vm->res.signo = (int)si.ssi_signo;
			vm_ask_stop(vm);
			continue;
		}
		vm_stop(vm);
	}
}

/* Act on the clocks that have run out; return how long until the next. */
static int vm_on_time(struct vm *vm)
{
	int64_t t = now_ms(), next = t + VM_POLL_MAX_MS;

	if (vm->deadline && t >= vm->deadline && !vm->kill_at) {
		vm->res.end = VM_TIMED_OUT;
		vm_stop(vm);
	}
	if (!vm->linger_at && vm->o->channel->pod_status >= 0)
		vm->linger_at = t + VM_POWEROFF_GRACE_MS;
	if (vm->linger_at && t >= vm->linger_at && !vm->kill_at) {
		vm->res.lingered = true;
		vm_stop(vm);
	}
	if (vm->give_up_at && t >= vm->give_up_at && !vm->kill_at) {
		vm->res.forced = true;
		vm_stop(vm);
	}
	if (vm->kill_at && t >= vm->kill_at)
		kill(vm->pid, SIGKILL);
	if (vm->deadline && !vm->kill_at && vm->deadline < next)
		next = vm->deadline;
	if (vm->linger_at && !vm->kill_at && vm->linger_at < next)
		next = vm->linger_at;
	if (vm->give_up_at && !vm->kill_at && vm->give_up_at < next)
		next = vm->give_up_at;
	if (vm->kill_at && vm->kill_at > t && vm->kill_at < next)
		next = vm->kill_at;
	return next > t ? (int)(next - t) : 0;
}

static void vm_wait_once(struct vm *vm)
{
	struct pollfd fds[2] = {
		{ .fd = vm->o->sigfd, .events = POLLIN },
		{ .fd = vm->cfd >= 0 ? vm->cfd : vm->lfd, .events = POLLIN },
	};
	int timeout = vm_on_time(vm);

	if (poll(fds, 2, timeout) <= 0)
		return;
	if (fds[0].revents)
		vm_on_signal(vm);
	if (fds[1].revents && vm->cfd >= 0)
		vm_read_channel(vm);
	else if (fds[1].revents && vm->lfd >= 0)
		vm_accept(vm);
}

/* QEMU is gone: take what is left in the channel, even unaccepted. */
static void vm_drain(struct vm *vm)
{
	if (vm->cfd < 0 && vm->lfd >= 0)
		vm_accept(vm);
	if (vm->cfd >= 0)
		vm_read_channel(vm);
	if (vm->cfd >= 0)
		close(vm->cfd);
	if (vm->lfd >= 0)
		close(vm->lfd);
	channel_finish(vm->o->channel);
}

int vm_run(const struct vm_opts *o, struct vm_result *ret,
	   struct hpc_err *err)
{
	struct vm vm = { .o = o, .lfd = o->listen_fd, .cfd = -1 };
	int r;

	vm.res.start_ms = now_ms();
	r = vm_spawn(&vm, err);
	if (r < 0) {
		close(vm.lfd);
		return r;
	}
	if (o->timeout_s)
		vm.deadline = now_ms() + (int64_t)o->timeout_s * 1000;
	while (!vm.gone) {
		vm_wait_once(&vm);
		vm_reap(&vm);
	}
	vm.res.end_ms = now_ms();
	vm_drain(&vm);
	*ret = vm.res;
	return 0;
}
