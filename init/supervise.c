/*
 * supervise: start, watch, restart and stop the containers (see
 * supervise.h). One poll loop: a signalfd for SIGCHLD, SIGTERM and
 * SIGINT, the exit channel (where the host asks the pod to stop), and the
 * read end of each container's stdout and stderr.
 */
#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "console.h"
#include "mono.h"
#include "reap.h"
#include "report.h"
#include "restart.h"

struct run_state {
	int status;		/* of the last run */
	unsigned restarts;	/* so far */
	int exited;		/* the process ended; output may remain */
	int done;		/* it will not start again */
	uint64_t started_ms;
	uint64_t next_start_ms;
	unsigned delay_ms;	/* the last pause before a restart */
};

struct supervisor {
	struct container *c;
	struct run_state *st;
	size_t n;
	int sigfd;
	int port_fd;		/* the exit channel, for requests; -1 */
	unsigned grace_ms;
	int stopping;		/* no more restarts */
	int killed;		/* SIGKILL sent */
	uint64_t kill_at;	/* when the grace period ends */
	struct pollfd *fds;
};

static void start_one(struct supervisor *s, size_t i, uint64_t now)
{
	struct container *c = &s->c[i];
	struct run_state *st = &s->st[i];
	struct errmsg e;

	st->started_ms = now;
	st->exited = 0;
	if (container_start(c, &e) < 0) {
		console_say("%s", e.msg);
		st->status = 126;
		st->exited = 1;
		return;
	}
	report_event("started %s", c->spec->name);
	report_event("time %llu started %s", (unsigned long long)now,
		     c->spec->name);
}

static void start_due(struct supervisor *s, uint64_t now)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->c[i].pid && !s->st[i].done && !s->st[i].exited &&
		    s->st[i].next_start_ms <= now)
			start_one(s, i, now);
}

static int all_done(const struct supervisor *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->st[i].done)
			return 0;
	return 1;
}

/* Every container that is not a sidecar has ended for good (and one did). */
static int mains_done(const struct supervisor *s)
{
	size_t i, mains = 0;

	for (i = 0; i < s->n; i++) {
		if (s->c[i].spec->sidecar)
			continue;
		if (!s->st[i].done)
			return 0;
		mains++;
	}
	return mains > 0;
}

/* Milliseconds until the next restart or SIGKILL; -1 for none. */
static int next_timeout(const struct supervisor *s, uint64_t now)
{
	uint64_t at = UINT64_MAX;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->c[i].pid && !s->st[i].done && !s->st[i].exited &&
		    s->st[i].next_start_ms < at)
			at = s->st[i].next_start_ms;
	if (s->stopping && !s->killed && s->kill_at < at)
		at = s->kill_at;
	if (at == UINT64_MAX)
		return -1;
	return at <= now ? 0 : (int)(at - now);
}

/* A run is over when its process ended and its output reached EOF. */
static void finish_one(struct supervisor *s, size_t i, uint64_t now)
{
	struct run_state *st = &s->st[i];
	const struct plan_container *spec = s->c[i].spec;

	report_event("exit %s %d %u", spec->name, st->status, st->restarts);
	report_event("time %llu exit %s", (unsigned long long)now,
		     spec->name);
	st->exited = 0;
	if (s->stopping || !restart_wanted(spec->restart, st->status)) {
		st->done = 1;
		return;
	}
	st->delay_ms = restart_delay(st->delay_ms, now - st->started_ms);
	st->next_start_ms = now + st->delay_ms;
	st->restarts++;
}

static void finish_ended(struct supervisor *s, uint64_t now)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->st[i].exited && !s->c[i].pid &&
		    s->c[i].out_fd < 0 && s->c[i].err_fd < 0)
			finish_one(s, i, now);
}

static void reap_all(struct supervisor *s)
{
	int status;
	pid_t pid;
	size_t i;

	while ((pid = reap_one(&status)) > 0)
		for (i = 0; i < s->n; i++)
			if (s->c[i].pid == pid) {
				s->c[i].pid = 0;
				s->st[i].status = status;
				s->st[i].exited = 1;
			}
}

static void send_all(struct supervisor *s, int sig)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->c[i].pid)
			kill(s->c[i].pid, sig ? sig : s->c[i].spec->stopsignal);
}

/* SIGTERM or SIGINT: each container's stop signal, SIGKILL after grace. */
static void stop(struct supervisor *s, uint64_t now)
{
	size_t i;

	if (s->stopping)
		return;		/* asked again: the grace period still runs */
	console_say("stopping the pod");
	report_event("time %llu stop", (unsigned long long)now);
	s->stopping = 1;
	s->kill_at = now + s->grace_ms;
	for (i = 0; i < s->n; i++)
		if (!s->c[i].pid && !s->st[i].exited)
			s->st[i].done = 1;
	send_all(s, 0);
}

static void read_signals(struct supervisor *s, uint64_t now)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap_all(s);
		else
			stop(s, now);
	}
}

/* One read from a container's pipe; EOF or an error closes it. */
static void read_output(int *fd, struct console_stream *cs)
{
	char buf[4096];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		console_stream_feed(cs, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	console_stream_flush(cs);
	close(*fd);
	*fd = -1;
}

/* The host's requests; a port that hung up is no longer polled. */
static void read_requests(struct supervisor *s, short revents, uint64_t now)
{
	if (report_read_requests() == REPORT_STOP)
		stop(s, now);
	if ((revents & (POLLHUP | POLLERR | POLLNVAL)) && !(revents & POLLIN))
		s->port_fd = -1;
}

static int poll_once(struct supervisor *s, int timeout)
{
	struct pollfd *f = s->fds;
	size_t i, nf = 2;

	f[0] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	f[1] = (struct pollfd){ .fd = s->port_fd, .events = POLLIN };
	for (i = 0; i < s->n; i++) {
		f[nf++] = (struct pollfd){ .fd = s->c[i].out_fd,
					   .events = POLLIN };
		f[nf++] = (struct pollfd){ .fd = s->c[i].err_fd,
					   .events = POLLIN };
	}
	if (poll(f, nf, timeout) < 0 && errno != EINTR)
		return -errno;
	for (i = 0; i < s->n; i++) {
		if (f[2 + 2 * i].revents)
			read_output(&s->c[i].out_fd, &s->c[i].out);
		if (f[3 + 2 * i].revents)
			read_output(&s->c[i].err_fd, &s->c[i].err);
	}
	if (f[0].revents)
		read_signals(s, mono_ms());
	if (f[1].revents)
		read_requests(s, f[1].revents, mono_ms());
	return 0;
}

/* The first non-zero status in plan order; a sidecar's does not count. */
static int pod_status(const struct supervisor *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->st[i].status && !s->c[i].spec->sidecar)
			return s->st[i].status;
	return 0;
}

static int open_signals(struct errmsg *e)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot open a signalfd: %s",
				  strerror(errno));
	return fd;
}

static int loop(struct supervisor *s, struct errmsg *e)
{
	uint64_t now;
	int r;

	for (;;) {
		now = mono_ms();
		if (!s->stopping)
			start_due(s, now);
		finish_ended(s, now);
		if (all_done(s))
			return pod_status(s);
		if (!s->stopping && mains_done(s))
			stop(s, now);
		if (s->stopping && !s->killed && now >= s->kill_at) {
			console_say("grace period of %u ms over, killing what "
				    "is left", s->grace_ms);
			send_all(s, SIGKILL);
			s->killed = 1;
		}
		r = poll_once(s, next_timeout(s, now));
		if (r < 0)
			return errmsg_set(e, r, "cannot poll: %s",
					  strerror(-r));
	}
}

int supervise_run(struct container *ctrs, size_t n, unsigned grace_ms,
		  struct errmsg *e)
{
	struct supervisor s = { .c = ctrs, .n = n, .sigfd = -1,
				.port_fd = report_fd_get(),
				.grace_ms = grace_ms };
	int r;

	s.st = calloc(n, sizeof(*s.st));
	s.fds = calloc(2 + 2 * n, sizeof(*s.fds));
	if (!s.st || !s.fds) {
		r = errmsg_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	r = s.sigfd = open_signals(e);
	if (r < 0)
		goto out;
	/* A stop asked for while the VM booted: start nothing. */
	if (report_read_requests() == REPORT_STOP)
		stop(&s, mono_ms());
	r = loop(&s, e);
out:
	if (s.sigfd >= 0)
		close(s.sigfd);
	free(s.st);
	free(s.fds);
	return r;
}
