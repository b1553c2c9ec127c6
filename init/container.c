/*
 * container: prepare a container's root and start its process (see
 * container.h). The child's side runs in a copy of the init: it enters
 * the overlay, mounts the container's /proc, /sys and /dev, and becomes
 * the shim that runs the command.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "etc.h"
#include "exec.h"
#include "limits.h"
#include "mounts.h"
#include "shim.h"
#include "sysctl.h"
#include "user.h"
#include "volumes.h"

#define SETUP_FAILED 126

#define CLONE_FLAGS \
	(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD)

/* path without its leading '/', and with a trailing one for a directory. */
static char *stub_path(const char *path, bool is_dir)
{
	char *p;

	path += strspn(path, "/");
	if (asprintf(&p, "%s%s", path, is_dir ? "/" : "") < 0)
		return NULL;
	return p;
}

/*
 * A read-only root: the init's own mount points (the /etc files, /proc,
 * /sys, /dev, the workdir and each volume's path) lie in an empty layer
 * over the image, since nothing can be made in the root later.
 */
static int overlay_ro(struct container *c, const char *lower,
		      const char *dir, struct errmsg *e)
{
	static const char *const fixed[] = { "etc/hosts", "etc/hostname",
		"etc/resolv.conf", "proc/", "sys/", "dev/" };
	enum { N_FIXED = sizeof(fixed) / sizeof(fixed[0]) };
	const struct plan_container *s = c->spec;
	size_t n = 0, i;
	char **paths;
	int r;

	paths = calloc(N_FIXED + s->n_mounts + 2, sizeof(*paths));
	if (!paths)
		return errmsg_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < N_FIXED; i++)
		paths[n++] = strdup(fixed[i]);
	if (strcmp(s->workdir, "/"))
		paths[n++] = stub_path(s->workdir, true);
	for (i = 0; i < s->n_mounts; i++)
		paths[n++] = stub_path(s->mounts[i].path, !s->mounts[i].file);
	for (i = 0, r = 0; i < n; i++)
		if (!paths[i])
			r = errmsg_set(e, -ENOMEM, "out of memory");
	if (r == 0)
		r = mounts_overlay_ro(lower, dir, paths, c->root,
				      sizeof(c->root), e);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return r;
}

int container_prepare(struct container *c, const struct plan *plan,
		      size_t index, const char *lower, const char *dir,
		      const char *etc_dir, struct errmsg *e)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->spec = &plan->containers[index];
	c->plan = plan;
	c->out_fd = -1;
	c->err_fd = -1;
	/* A plan of one container may say "tty" for the pod alone. */
	c->tty = c->spec->tty || (plan->tty && plan->n_containers == 1);
	if (c->spec->readonly)
		r = overlay_ro(c, lower, dir, e);
	else
		r = mounts_overlay(lower, dir, c->root, sizeof(c->root), e);
	if (r < 0)
		return r;
	return etc_bind(etc_dir, c->root, plan, e);
}

static void die(const struct errmsg *e) __attribute__((noreturn));

static void die(const struct errmsg *e)
{
	console_say("%s", e->msg);
	_exit(SETUP_FAILED);
}

/* The overlay becomes "/" of the new mount namespace, as switch_root does. */
static int enter_root(const char *root, struct errmsg *e)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return errmsg_set(e, -errno, "cannot make mounts private: %s",
				  strerror(errno));
	if (chdir(root) < 0 || mount(root, "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0)
		return errmsg_set(e, -errno, "cannot enter root '%s': %s",
				  root, strerror(errno));
	return 0;
}

/* envp with NAME=VALUE added when the plan set no NAME, as Docker does. */
static char **with_default(char **envp, const char *name, const char *value)
{
	size_t envc = 0, len;
	char **v;

	if (exec_env_get(envp, name))
		return envp;
	while (envp && envp[envc])
		envc++;
	v = calloc(envc + 2, sizeof(*v));
	len = strlen(name) + strlen(value) + 2;
	if (!v || !(v[envc] = malloc(len)))
		return envp;
	if (envc)
		memcpy(v, envp, envc * sizeof(*v));
	snprintf(v[envc], len, "%s=%s", name, value);
	return v;
}

/*
 * The host terminal's size, "ROWSxCOLS" from hpc run on the kernel
 * command line; the serial console has none of its own.
 */
static void set_tty_size(void)
{
	const char *v = getenv("hpc_tty_size");
	struct winsize ws = { 0 };
	unsigned long rows, cols;
	char *end;

	if (!v)
		return;
	rows = strtoul(v, &end, 10);
	if (*end != 'x')
		return;
	cols = strtoul(end + 1, &end, 10);
	if (*end || !rows || !cols || rows > 0xffff || cols > 0xffff)
		return;
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	ioctl(STDIN_FILENO, TIOCSWINSZ, &ws);
}

/* In the namespace, as the shim's child: become the user, then exec. */
static void run_command(void *arg)
{
	const struct container *c = arg;
	const struct plan_container *s = c->spec;
	struct user_ids u;
	struct errmsg e;
	char **envp = s->envp;

	if (user_resolve(s->user, "/etc/passwd", "/etc/group", &u, &e) < 0 ||
	    user_add_groups(&u, s->groups, "/etc/group", &e) < 0)
		die(&e);
	/* as Docker does, a missing workdir is made (root's, 0755) */
	mounts_mkdir_p(s->workdir, 0755);
	if (c->tty) {
		setsid();
		ioctl(STDIN_FILENO, TIOCSCTTY, 1);
		set_tty_size();
		envp = with_default(envp, "TERM", "xterm");
	}
	/* As root still: a hard limit only root may raise. */
	if (limits_apply("/proc/sys/fs/nr_open", &e) < 0)
		die(&e);
	if (user_apply(&u, &e) < 0)
		die(&e);
	if (chdir(s->workdir) < 0) {
		errmsg_set(&e, -errno, "cannot change to workdir '%s': %s",
			   s->workdir, strerror(errno));
		die(&e);
	}
	exec_command(s->argv, with_default(envp, "HOME", u.home));
}

/* stdin from /dev/null and stdout, stderr to the pipes; a tty keeps all. */
static void set_stdio(const struct container *c, int out_w, int err_w)
{
	int null;

	if (c->tty)
		return;
	null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != STDIN_FILENO) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	dup2(out_w, STDOUT_FILENO);
	dup2(err_w, STDERR_FILENO);
}

/* Undo the init's signal set-up: its blocked set and its handlers. */
static void reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < 65; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_main(struct container *c, int out_w, int err_w)
	__attribute__((noreturn));

static void child_main(struct container *c, int out_w, int err_w)
{
	const char *host = c->plan->hostname;
	struct errmsg e;
	int *vol_fds = NULL;
	int console = -1;

	set_stdio(c, out_w, err_w);
	reset_signals();
	/* The console and the volume sources are opened in this namespace
	 * and reached by descriptor once the root changed: a bind then takes
	 * no mount of another, and no path of the image leads out. */
	if (c->tty)
		console = open("/dev/console", O_PATH | O_CLOEXEC);
	if (volumes_open(c->spec, VOLUMES_DIR, &vol_fds, &e) < 0 ||
	    enter_root(c->root, &e) < 0 || mounts_container(&e) < 0 ||
	    (c->tty && mounts_console(console, &e) < 0) ||
	    volumes_bind(c->spec, vol_fds, &e) < 0)
		die(&e);
	free(vol_fds);
	if (console >= 0)
		close(console);
	if (sethostname(host, strlen(host)) < 0) {
		errmsg_set(&e, -errno, "cannot set hostname '%s': %s", host,
			   strerror(errno));
		die(&e);
	}
	if (sysctl_apply(c->spec->sysctl, &e) < 0)
		die(&e);
	shim_run(run_command, c);
}

static int make_pipes(const struct container *c, int out[2], int err[2],
		      struct errmsg *e)
{
	if (c->tty)
		return 0;
	if (pipe2(out, O_CLOEXEC) < 0)
		return errmsg_set(e, -errno, "cannot make a pipe: %s",
				  strerror(errno));
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		out[0] = out[1] = -1;
		return errmsg_set(e, -errno, "cannot make a pipe: %s",
				  strerror(errno));
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int container_start(struct container *c, struct errmsg *e)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	long pid;
	int r;

	r = make_pipes(c, out, err, e);
	if (r < 0)
		return r;
	/* Like fork, on the same stack, but into new namespaces. */
	pid = syscall(SYS_clone, CLONE_FLAGS, NULL, NULL, NULL, 0);
	if (pid == 0)
		child_main(c, out[1], err[1]);
	if (pid < 0) {
		r = errmsg_set(e, -errno, "cannot start container '%s': %s",
			       c->spec->name, strerror(errno));
		close_fd(&out[0]);
		close_fd(&err[0]);
	}
	close_fd(&out[1]);
	close_fd(&err[1]);
	if (r < 0)
		return r;
	c->pid = (pid_t)pid;
	c->out_fd = out[0];
	c->err_fd = err[0];
	console_stream_init(&c->out, c->spec->name, '|', STDOUT_FILENO);
	console_stream_init(&c->err, c->spec->name, '!', STDOUT_FILENO);
	return 0;
}
