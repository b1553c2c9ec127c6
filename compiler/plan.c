/*
 * plan: merge each container with its image's config, and write the plan
 * the init reads. See plan.h and docs/image-format.md.
 */
#include "plan.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int number;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },   { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },
	{ "BUS", SIGBUS },   { "FPE", SIGFPE },     { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },   { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
	{ "URG", SIGURG },   { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO },     { "PWR", SIGPWR },     { "SYS", SIGSYS },
};

int plan_signal_number(const char *s)
{
	char *end;
	long n;
	size_t i;

	if (isdigit((unsigned char)*s)) {
		n = strtol(s, &end, 10);
		return *end || n < 1 || n > 64 ? -1 : (int)n;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < ARRAY_SIZE(signals); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].number;
	return -1;
}

/* Index of the entry of env that sets the same name as var, or -1. */
static long env_find(char **env, const char *var)
{
	size_t n = strcspn(var, "="), i;

	for (i = 0; env && env[i]; i++)
		if (!strncmp(env[i], var, n) && env[i][n] == '=')
			return (long)i;
	return -1;
}

static void env_set(char ***env, const char *var)
{
	long at = env_find(*env, var);

	if (at < 0) {
		strv_push(env, var);
		return;
	}
	free((*env)[at]);
	(*env)[at] = xstrdup(var);
}

static char **merge_env(const struct spec_pod *pod,
			const struct spec_container *ct,
			const struct image_config *cfg)
{
	char **env = strv_dup(cfg->env);
	char *var;
	size_t i;

	if (!env)
		env = xcalloc(1, sizeof(*env));
	for (i = 0; ct->env && ct->env[i]; i++)
		env_set(&env, ct->env[i]);
	if (env_find(env, "PATH=") < 0)
		env_set(&env, "PATH=" PLAN_DEFAULT_PATH);
	/* as docker run -e HOSTNAME=x: what the pod sets itself wins */
	if (!ct->env || env_find(ct->env, "DVM_POD_IP=") < 0)
		env_set(&env, "DVM_POD_IP=" PLAN_POD_IP);
	if (!ct->env || env_find(ct->env, "HOSTNAME=") < 0) {
		var = xasprintf("HOSTNAME=%s", pod->hostname);
		env_set(&env, var);
		free(var);
	}
	return env;
}

/* Docker's rule: a pod entrypoint resets the image's Cmd. */
static char **merge_argv(const struct spec_container *ct,
			 const struct image_config *cfg)
{
	char *const *entry = ct->entrypoint ? ct->entrypoint : cfg->entrypoint;
	char *const *cmd = ct->command;
	char **argv = xcalloc(1, sizeof(*argv));
	size_t i;

	if (!cmd && !ct->entrypoint)
		cmd = cfg->cmd;
	for (i = 0; entry && entry[i]; i++)
		strv_push(&argv, entry[i]);
	for (i = 0; cmd && cmd[i]; i++)
		strv_push(&argv, cmd[i]);
	return argv;
}

int plan_container_merge(const struct spec_pod *pod,
			 const struct spec_container *ct,
			 const struct image_config *cfg, const char *rootfs,
			 struct plan_container *out, struct hpc_err *err)
{
	const char *wd = ct->workdir ? ct->workdir : cfg->working_dir;
	const char *user = ct->user ? ct->user : cfg->user;
	int sig = SIGTERM;
	char **argv;

	if (cfg->stop_signal && *cfg->stop_signal) {
		sig = plan_signal_number(cfg->stop_signal);
		if (sig < 0)
			return err_set(err, -EINVAL, "container '%s': image "
				       "'%s' has an unknown StopSignal '%s'",
				       ct->name, ct->image, cfg->stop_signal);
	}
	argv = merge_argv(ct, cfg);
	if (!argv[0]) {
		strv_free(argv);
		return err_set(err, -EINVAL, "container '%s': no command to "
			       "run (neither the pod nor the image '%s' sets "
			       "an entrypoint or a command)", ct->name,
			       ct->image);
	}
	*out = (struct plan_container){
		.name = xstrdup(ct->name),
		.rootfs = xstrdup(rootfs),
		.argv = argv,
		.env = merge_env(pod, ct, cfg),
		.workdir = xstrdup(wd && *wd ? wd : "/"),
		.user = xstrdup(user ? user : ""),
		.groups = strv_dup(ct->groups),
		.restart = ct->restart,
		.stop_signal = sig,
		.sidecar = ct->sidecar,
		.tty = ct->tty,
		.read_only = ct->read_only,
		.sysctl = strv_dup(ct->sysctl),
	};
	return 0;
}

void plan_container_mount(struct plan_container *c, const char *volume,
			  const char *path, const char *file, bool read_only)
{
	struct plan_mount *m;

	c->mounts = xreallocarray(c->mounts, c->n_mounts + 1,
				  sizeof(*c->mounts));
	m = &c->mounts[c->n_mounts++];
	*m = (struct plan_mount){
		.volume = xstrdup(volume),
		.path = xstrdup(path),
		.file = file ? xstrdup(file) : NULL,
		.read_only = read_only,
	};
}

void plan_pod_fill(struct plan *plan, const struct spec_pod *pod)
{
	static char *const qemu_dns[] = { PLAN_DNS, NULL };

	plan->name = xstrdup(pod->name);
	plan->hostname = xstrdup(pod->hostname);
	plan->tty = pod->tty;
	plan->dns = strv_dup(pod->dns && pod->dns[0] ? pod->dns : qemu_dns);
	plan->dns_search = strv_dup(pod->dns_search);
	plan->dns_options = strv_dup(pod->dns_options);
}

struct text {
	char *buf;
	size_t len, cap;
};

static void text_byte(struct text *t, char c)
{
	if (t->len + 2 > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->buf = xrealloc(t->buf, t->cap);
	}
	t->buf[t->len++] = c;
	t->buf[t->len] = '\0';
}

/*
 * One "KEY VALUE" line, the value escaped as docs/image-format.md says;
 * an empty value is written as the key alone.
 */
static void line(struct text *t, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (; *key; key++)
		text_byte(t, *key);
	if (*value)
		text_byte(t, ' ');
	for (p = (const unsigned char *)value; *p; p++) {
		if (*p == '%' || *p < 0x20 || *p == 0x7f) {
			text_byte(t, '%');
			text_byte(t, hex[*p >> 4]);
			text_byte(t, hex[*p & 15]);
		} else {
			text_byte(t, (char)*p);
		}
	}
	text_byte(t, '\n');
}

static void lines(struct text *t, const char *key, char *const *values)
{
	size_t i;

	for (i = 0; values && values[i]; i++)
		line(t, key, values[i]);
}

/* Each mount opens with its volume; the lines after it belong to it. */
static void encode_mounts(struct text *t, const struct plan_container *c)
{
	const struct plan_mount *m;
	size_t i;

	for (i = 0; i < c->n_mounts; i++) {
		m = &c->mounts[i];
		line(t, "mount", m->volume);
		line(t, "mountpath", m->path);
		if (m->file)
			line(t, "mountfile", m->file);
		line(t, "mountro", m->read_only ? "1" : "0");
	}
}

static void encode_container(struct text *t, const struct plan_container *c)
{
	char sig[16];

	line(t, "container", c->name);
	line(t, "rootfs", c->rootfs);
	lines(t, "arg", c->argv);
	lines(t, "env", c->env);
	line(t, "workdir", c->workdir);
	line(t, "user", c->user);
	lines(t, "group", c->groups);
	line(t, "restart", spec_restart_name(c->restart));
	snprintf(sig, sizeof(sig), "%d", c->stop_signal);
	line(t, "stopsignal", sig);
	line(t, "sidecar", c->sidecar ? "1" : "0");
	if (c->tty)
		line(t, "tty", "1");
	line(t, "readonly", c->read_only ? "1" : "0");
	lines(t, "sysctl", c->sysctl);
	encode_mounts(t, c);
	line(t, "end", "");
}

char *plan_encode(const struct plan *plan)
{
	struct text t = { 0 };
	size_t i;

	line(&t, "hpc-plan", "1");
	line(&t, "name", plan->name);
	line(&t, "hostname", plan->hostname);
	line(&t, "ip", PLAN_POD_IP);
	line(&t, "netmask", PLAN_NETMASK);
	line(&t, "gateway", PLAN_GATEWAY);
	lines(&t, "dns", plan->dns);
	lines(&t, "dnssearch", plan->dns_search);
	lines(&t, "dnsoption", plan->dns_options);
	line(&t, "tty", plan->tty ? "1" : "0");
	lines(&t, "module", plan->modules);
	for (i = 0; i < plan->n_containers; i++)
		encode_container(&t, &plan->containers[i]);
	return t.buf;
}

static void release_mounts(struct plan_container *c)
{
	size_t i;

	for (i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].volume);
		free(c->mounts[i].path);
		free(c->mounts[i].file);
	}
	free(c->mounts);
}

void plan_release(struct plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n_containers; i++) {
		struct plan_container *c = &plan->containers[i];

		free(c->name);
		free(c->rootfs);
		strv_free(c->argv);
		strv_free(c->env);
		free(c->workdir);
		free(c->user);
		release_mounts(c);
		strv_free(c->groups);
		strv_free(c->sysctl);
	}
	free(plan->containers);
	strv_free(plan->dns);
	strv_free(plan->dns_search);
	strv_free(plan->dns_options);
	strv_free(plan->modules);
	free(plan->name);
	free(plan->hostname);
	*plan = (struct plan){ 0 };
}
