/*
 * channel: parse the init's exit reports, listen for QEMU. See channel.h.
 *
 * The guest is not trusted to be well-behaved: lines are bounded, bytes
 * that are not printable are replaced before they reach the terminal, and
 * a line that makes no sense is kept aside and reported, not obeyed.
 */
#include "channel.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct channel_verb {
	const char *verb;
	int (*handle)(struct channel *ch, char *args);
};

void channel_init(struct channel *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->pod_status = -1;
	ch->zombies = -1;
}

void channel_release(struct channel *ch)
{
	size_t i;

	for (i = 0; i < ch->n_containers; i++)
		free(ch->containers[i].name);
	free(ch->containers);
	strv_free(ch->errors);
	strv_free(ch->bad);
	for (i = 0; i < ch->n_marks; i++)
		free(ch->marks[i].what);
	free(ch->marks);
	channel_init(ch);
}

/* A decimal number from 0 to max, the whole word; 0 or -EINVAL. */
static int parse_num(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static struct channel_container *container_get(struct channel *ch,
					       const char *name)
{
	struct channel_container *c;
	size_t i;

	for (i = 0; i < ch->n_containers; i++)
		if (!strcmp(ch->containers[i].name, name))
			return &ch->containers[i];
	ch->containers = xreallocarray(ch->containers, ch->n_containers + 1,
				       sizeof(*ch->containers));
	c = &ch->containers[ch->n_containers++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	return c;
}

/* Split off the next space-separated word of *s; NULL when none. */
static char *next_word(char **s)
{
	char *w = *s, *sp;

	if (!w || !*w)
		return NULL;
	sp = strchr(w, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = NULL;
	}
	return w;
}

static int on_started(struct channel *ch, char *args)
{
	char *name = next_word(&args);

	if (!name || args)
		return -EINVAL;
	container_get(ch, name)->started = true;
	return 0;
}

static int on_exit_line(struct channel *ch, char *args)
{
	char *name = next_word(&args), *status = next_word(&args);
	char *restarts = next_word(&args);
	struct channel_container *c;
	unsigned long st, rs;

	if (!restarts || args || parse_num(status, 255, &st) < 0 ||
	    parse_num(restarts, UINT_MAX, &rs) < 0)
		return -EINVAL;
	c = container_get(ch, name);
	c->started = true;
	c->exited = true;
	c->status = (int)st;
	c->restarts = (unsigned)rs;
	return 0;
}

static int on_error(struct channel *ch, char *args)
{
	if (!args || !*args)
		return -EINVAL;
	strv_push(&ch->errors, args);
	return 0;
}

static int on_pod(struct channel *ch, char *args)
{
	unsigned long st;

	if (!args || parse_num(args, 255, &st) < 0)
		return -EINVAL;
	ch->pod_status = (int)st;
	return 0;
}

/* "time MS EVENT...": kept in order, with when it came. */
static int on_time(struct channel *ch, char *args)
{
	char *ms = next_word(&args);
	struct channel_mark *m;
	unsigned long long v;
	char *end;

	if (!ms || !args || !*args || *ms < '0' || *ms > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(ms, &end, 10);
	if (errno || *end || v > INT64_MAX / 2)
		return -EINVAL;
	ch->marks = xreallocarray(ch->marks, ch->n_marks + 1,
				  sizeof(*ch->marks));
	m = &ch->marks[ch->n_marks++];
	m->guest_ms = (int64_t)v;
	m->host_ms = ch->now_ms;
	m->what = xstrdup(args);
	return 0;
}

static int on_zombies(struct channel *ch, char *args)
{
	unsigned long n;

	if (!args || parse_num(args, INT_MAX, &n) < 0)
		return -EINVAL;
	ch->zombies = (int)n;
	return 0;
}

static const struct channel_verb channel_verbs[] = {
	{ "started", on_started },
	{ "exit", on_exit_line },
	{ "error", on_error },
	{ "pod", on_pod },
	{ "time", on_time },
	{ "zombies", on_zombies },
};

/* Unknown verbs are skipped so that the init can say more later. */
static void handle_line(struct channel *ch, char *line)
{
	char *args = line, *verb;
	char *copy = xstrdup(line);
	size_t i;

	verb = next_word(&args);
	if (!verb)
		goto out;
	for (i = 0; i < ARRAY_SIZE(channel_verbs); i++) {
		if (strcmp(verb, channel_verbs[i].verb))
			continue;
		if (channel_verbs[i].handle(ch, args) < 0)
			strv_push(&ch->bad, copy);
		break;
	}
out:
	free(copy);
}

/* End the line in ch->line: make it printable and handle it. */
static void line_done(struct channel *ch)
{
	size_t i;

	if (ch->len && ch->line[ch->len - 1] == '\r')
		ch->len--;
	for (i = 0; i < ch->len; i++)
		if ((unsigned char)ch->line[i] < 0x20 ||
		    (unsigned char)ch->line[i] >= 0x7f)
			ch->line[i] = '?';
	ch->line[ch->len] = '\0';
	if (ch->overlong)
		strv_push(&ch->bad, "(a line too long to keep)");
	else
		handle_line(ch, ch->line);
	ch->len = 0;
	ch->overlong = false;
}

void channel_feed(struct channel *ch, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			line_done(ch);
		} else if (ch->len + 1 < sizeof(ch->line)) {
			ch->line[ch->len++] = data[i];
		} else {
			ch->overlong = true;
		}
	}
}

void channel_finish(struct channel *ch)
{
	if (ch->len || ch->overlong)
		line_done(ch);
}

static const struct channel_container *container_find(
	const struct channel *ch, const char *name)
{
	size_t i;

	for (i = 0; i < ch->n_containers; i++)
		if (!strcmp(ch->containers[i].name, name))
			return &ch->containers[i];
	return NULL;
}

static void report_one(const struct channel_container *c, const char *name,
		       FILE *f)
{
	const char *sig = NULL;

	if (!c || !c->started) {
		fprintf(f, "hpc: container '%s' did not start\n", name);
		return;
	}
	if (!c->exited) {
		fprintf(f, "hpc: container '%s' started but reported no exit\n",
			name);
		return;
	}
	if (c->status > 128)
		sig = sigabbrev_np(c->status - 128);
	fprintf(f, "hpc: container '%s' exited with status %d", name,
		c->status);
	if (sig)
		fprintf(f, " (SIG%s)", sig);
	if (c->restarts)
		fprintf(f, " after %u restart%s", c->restarts,
			c->restarts == 1 ? "" : "s");
	fputc('\n', f);
}

static bool plan_has(char *const *plan, const char *name)
{
	size_t i;

	for (i = 0; plan && plan[i]; i++)
		if (!strcmp(plan[i], name))
			return true;
	return false;
}

void channel_report(const struct channel *ch, char *const *plan, FILE *f)
{
	size_t i;

	for (i = 0; ch->errors && ch->errors[i]; i++)
		fprintf(f, "hpc: pod error: %s\n", ch->errors[i]);
	for (i = 0; ch->bad && ch->bad[i]; i++)
		fprintf(f, "hpc: warning: bad line on the exit channel: '%s',"
			" ignoring\n", ch->bad[i]);
	if (ch->zombies > 0)
		fprintf(f, "hpc: warning: the pod left %d zombie processes"
			" unreaped\n", ch->zombies);
	for (i = 0; plan && plan[i]; i++)
		report_one(container_find(ch, plan[i]), plan[i], f);
	for (i = 0; i < ch->n_containers; i++) {
		const struct channel_container *c = &ch->containers[i];

		if (!plan_has(plan, c->name))
			report_one(c, c->name, f);
	}
}

bool channel_all_started(const struct channel *ch, char *const *plan)
{
	const struct channel_container *c;
	size_t i;

	for (i = 0; plan && plan[i]; i++) {
		c = container_find(ch, plan[i]);
		if (!c || !c->started)
			return false;
	}
	return true;
}

int channel_listen(const char *path, struct hpc_err *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return err_set(err, -ENAMETOOLONG, "socket path '%s' is too"
			       " long (set TMPDIR to a shorter directory)", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	/* Non-blocking: a QEMU that never connects must not hang the drain. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(err, -errno, "cannot create a socket: %s",
			       strerror(errno));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 1) < 0) {
		r = err_set(err, -errno, "cannot listen on '%s': %s",
			    path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}
