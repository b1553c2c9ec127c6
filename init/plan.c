/*
 * plan: decode the init plan (docs/image-format.md). The compiler wrote
 * and checked it; the init still checks every line, because a plan it
 * misreads would start the wrong thing, and says which line is wrong.
 */
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLAN_MAX_BYTES (16u << 20)

enum key_scope { IN_POD, IN_CONTAINER };

enum key_kind {
	KEY_STR,	/* a string field, the last line wins */
	KEY_LIST,	/* a NULL-terminated list, one entry a line */
	KEY_FLAG,	/* 0 or 1 */
	KEY_SIGNAL,	/* a signal number */
	KEY_RESTART,	/* never, onFailure or always */
	KEY_ENV,	/* a list of NAME=VALUE */
	KEY_BEGIN,	/* "container NAME" opens a container */
	KEY_END,	/* "end" closes it */
};

struct plan_key {
	const char *key;
	enum key_scope scope;
	enum key_kind kind;
	size_t off;		/* in struct plan or struct plan_container */
	size_t count_off;	/* KEY_LIST, KEY_ENV: the count beside it */
};

#define POD(k, kind, f) { k, IN_POD, kind, offsetof(struct plan, f), 0 }
#define POD_LIST(k, f, n) \
	{ k, IN_POD, KEY_LIST, offsetof(struct plan, f), \
	  offsetof(struct plan, n) }
#define CTR(k, kind, f) \
	{ k, IN_CONTAINER, kind, offsetof(struct plan_container, f), 0 }
#define CTR_LIST(k, kind, f, n) \
	{ k, IN_CONTAINER, kind, offsetof(struct plan_container, f), \
	  offsetof(struct plan_container, n) }

static const struct plan_key plan_keys[] = {
	POD("name", KEY_STR, name),
	POD("hostname", KEY_STR, hostname),
	POD("ip", KEY_STR, ip),
	POD("netmask", KEY_STR, netmask),
	POD("gateway", KEY_STR, gateway),
	POD_LIST("dns", dns, n_dns),
	POD("tty", KEY_FLAG, tty),
	POD_LIST("module", modules, n_modules),
	POD("container", KEY_BEGIN, containers),
	CTR("rootfs", KEY_STR, rootfs),
	CTR_LIST("arg", KEY_LIST, argv, argc),
	CTR_LIST("env", KEY_ENV, envp, envc),
	CTR("workdir", KEY_STR, workdir),
	CTR("user", KEY_STR, user),
	CTR("restart", KEY_RESTART, restart),
	CTR("stopsignal", KEY_SIGNAL, stopsignal),
	CTR("sidecar", KEY_FLAG, sidecar),
	CTR("tty", KEY_FLAG, tty),
	CTR("end", KEY_END, name),
};

static const char *const restart_names[] = {
	[PLAN_RESTART_NEVER] = "never",
	[PLAN_RESTART_ON_FAILURE] = "onFailure",
	[PLAN_RESTART_ALWAYS] = "always",
};

struct parser {
	struct plan *plan;
	struct plan_container *cur;	/* between "container" and "end" */
	unsigned line;
	struct errmsg *e;
};

const char *plan_restart_name(enum plan_restart r)
{
	if ((size_t)r >= sizeof(restart_names) / sizeof(restart_names[0]))
		return "?";
	return restart_names[r];
}

static int bad(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct parser *p, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return errmsg_set(p->e, -EINVAL, "plan line %u: %s", p->line, what);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode %XX escapes in place; the text never grows. */
static int unescape(struct parser *p, char *s)
{
	char *out = s;
	int hi, lo;

	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return bad(p, "raw control byte in a value");
		if (*s != '%') {
			*out++ = *s;
			continue;
		}
		hi = s[1] ? hexval(s[1]) : -1;
		lo = hi >= 0 ? hexval(s[2]) : -1;
		if (hi < 0 || lo < 0)
			return bad(p, "bad escape '%.3s'", s);
		if (hi == 0 && lo == 0)
			return bad(p, "escaped NUL byte");
		*out++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*out = '\0';
	return 0;
}

static int push(char ***list, size_t *n, const char *value)
{
	char **v = realloc(*list, (*n + 2) * sizeof(**list));

	if (!v)
		return -ENOMEM;
	*list = v;
	v[*n] = strdup(value);
	if (!v[*n])
		return -ENOMEM;
	v[++*n] = NULL;
	return 0;
}

static int set_str(char **field, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int parse_int(const char *value, long min, long max, long *ret)
{
	char *end;
	long v;

	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int set_restart(struct parser *p, enum plan_restart *field,
		       const char *value)
{
	size_t i;

	for (i = 0; i < sizeof(restart_names) / sizeof(restart_names[0]); i++)
		if (!strcmp(value, restart_names[i])) {
			*field = (enum plan_restart)i;
			return 0;
		}
	return bad(p, "unknown restart policy '%s'", value);
}

static int begin_container(struct parser *p, const char *name)
{
	struct plan *pl = p->plan;
	struct plan_container *c;
	size_t i;

	if (!*name)
		return bad(p, "container without a name");
	for (i = 0; i < pl->n_containers; i++)
		if (!strcmp(pl->containers[i].name, name))
			return bad(p, "container '%s' named twice", name);
	c = realloc(pl->containers, (pl->n_containers + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	pl->containers = c;
	c += pl->n_containers++;
	memset(c, 0, sizeof(*c));
	c->restart = PLAN_RESTART_NEVER;
	c->stopsignal = SIGTERM;
	p->cur = c;
	c->name = strdup(name);
	return c->name ? 0 : -ENOMEM;
}

static int end_container(struct parser *p, const char *value)
{
	struct plan_container *c = p->cur;

	if (*value)
		return bad(p, "'end' takes no value");
	if (!c->argc)
		return bad(p, "container '%s' has no 'arg'", c->name);
	if (!c->rootfs || !*c->rootfs)
		return bad(p, "container '%s' has no 'rootfs'", c->name);
	p->cur = NULL;
	if (!c->workdir)
		return set_str(&c->workdir, "/");
	return 0;
}

static int check_env(struct parser *p, const char *value)
{
	const char *eq = strchr(value, '=');

	if (!eq || eq == value)
		return bad(p, "env '%s' is not NAME=VALUE", value);
	return 0;
}

/* Store one decoded value; base is the plan or the open container. */
static int apply(struct parser *p, const struct plan_key *k, char *base,
		 const char *value)
{
	void *field = base + k->off;
	long n;
	int r;

	switch (k->kind) {
	case KEY_STR:
		return set_str(field, value);
	case KEY_ENV:
		r = check_env(p, value);
		if (r < 0)
			return r;
		/* fall through */
	case KEY_LIST:
		return push(field, (size_t *)(base + k->count_off), value);
	case KEY_FLAG:
		if (parse_int(value, 0, 1, &n) < 0)
			return bad(p, "'%s' is not 0 or 1", value);
		*(int *)field = (int)n;
		return 0;
	case KEY_SIGNAL:
		if (parse_int(value, 1, 64, &n) < 0)
			return bad(p, "'%s' is not a signal number", value);
		*(int *)field = (int)n;
		return 0;
	case KEY_RESTART:
		return set_restart(p, field, value);
	case KEY_BEGIN:
		return begin_container(p, value);
	case KEY_END:
		return end_container(p, value);
	}
	return -EINVAL;
}

/* A key may be both the pod's and a container's ("tty"): the row of
 * the scope we are in first, else any, for the message. */
static const struct plan_key *find_key(const char *key, enum key_scope in)
{
	const struct plan_key *any = NULL;
	size_t i;

	for (i = 0; i < sizeof(plan_keys) / sizeof(plan_keys[0]); i++) {
		if (strcmp(plan_keys[i].key, key))
			continue;
		if (plan_keys[i].scope == in)
			return &plan_keys[i];
		any = &plan_keys[i];
	}
	return any;
}

static int parse_header(struct parser *p, const char *key, char *value)
{
	long v;

	if (strcmp(key, "hpc-plan"))
		return bad(p, "not a plan: it starts with '%s'", key);
	if (parse_int(value, 1, INT_MAX, &v) < 0)
		return bad(p, "bad plan version '%s'", value);
	if (v != 1)
		return bad(p, "plan version %s is not supported", value);
	p->plan->version = 1;
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	const struct plan_key *k;
	char *value = strchr(line, ' ');
	char *base;
	int r;

	if (value)
		*value++ = '\0';
	else
		value = line + strlen(line);
	if (!*line)
		return bad(p, "line starts with a space");
	r = unescape(p, value);
	if (r < 0)
		return r;
	if (!p->plan->version)
		return parse_header(p, line, value);
	k = find_key(line, p->cur ? IN_CONTAINER : IN_POD);
	if (!k)
		return 0;	/* unknown keys let the format grow */
	if (k->scope == IN_CONTAINER && !p->cur)
		return bad(p, "'%s' outside a container", line);
	if (k->scope == IN_POD && p->cur)
		return bad(p, "'%s' inside a container without 'end'", line);
	base = k->scope == IN_POD ? (char *)p->plan : (char *)p->cur;
	return apply(p, k, base, value);
}

/* Defaults and the checks that need the whole plan. */
static int finish(struct parser *p)
{
	struct plan *pl = p->plan;

	if (!pl->version)
		return errmsg_set(p->e, -EINVAL, "plan is empty");
	if (p->cur)
		return errmsg_set(p->e, -EINVAL, "plan ends inside container "
				  "'%s' without 'end'", p->cur->name);
	if (!pl->n_containers)
		return errmsg_set(p->e, -EINVAL, "plan has no container");
	if (!pl->name && set_str(&pl->name, "pod") < 0)
		return -ENOMEM;
	if (!pl->hostname && set_str(&pl->hostname, pl->name) < 0)
		return -ENOMEM;
	return 0;
}

static int parse_lines(struct parser *p, char *buf)
{
	char *line = buf, *nl;
	int r;

	for (; *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		p->line++;
		if (!*line)
			continue;
		r = parse_line(p, line);
		if (r < 0)
			return r;
	}
	return finish(p);
}

int plan_parse(const char *text, size_t len, struct plan *ret,
	       struct errmsg *e)
{
	struct parser p = { .plan = ret, .e = e };
	char *buf = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (memchr(text, '\0', len)) {
		r = errmsg_set(e, -EINVAL, "plan holds a NUL byte");
		goto out;
	}
	buf = malloc(len + 1);
	if (!buf) {
		r = errmsg_set(e, -ENOMEM, "out of memory reading the plan");
		goto out;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	r = parse_lines(&p, buf);
	if (r == -ENOMEM)
		errmsg_set(e, r, "out of memory reading the plan");
out:
	free(buf);
	if (r < 0)
		plan_release(ret);
	return r;
}

static int read_all(int fd, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;

	while (buf) {
		if (len == cap) {
			cap *= 2;
			nbuf = cap > PLAN_MAX_BYTES ? NULL : realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			*ret_buf = buf;
			*ret_len = len;
			return 0;
		}
		len += (size_t)n;
	}
	free(buf);
	return -EIO;
}

int plan_load(const char *path, struct plan *ret, struct errmsg *e)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot open plan '%s': %s",
				  path, strerror(errno));
	r = read_all(fd, &buf, &len);
	close(fd);
	if (r < 0)
		return errmsg_set(e, r, "cannot read plan '%s'", path);
	r = plan_parse(buf, len, ret, e);
	free(buf);
	return r;
}

static void strv_release(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void plan_release(struct plan *p)
{
	struct plan_container *c;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_containers; i++) {
		c = &p->containers[i];
		free(c->name);
		free(c->rootfs);
		strv_release(c->argv);
		strv_release(c->envp);
		free(c->workdir);
		free(c->user);
	}
	free(p->containers);
	free(p->name);
	free(p->hostname);
	free(p->ip);
	free(p->netmask);
	free(p->gateway);
	strv_release(p->dns);
	strv_release(p->modules);
	memset(p, 0, sizeof(*p));
}
