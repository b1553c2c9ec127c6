/*
 * progress: per-blob progress lines on a terminal for stage "fetch".
 * See progress.h. The lines are drawn below whatever was printed last;
 * a redraw moves the cursor up over them and writes each line again.
 */
#include "progress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define REDRAW_NS 100000000LL	/* at most ten redraws a second */

struct line {
	char *label;
	uint64_t total, done;
	int64_t start_ns, end_ns;
	char *status;		/* set when finished */
};

struct progress {
	pthread_mutex_t lock;
	struct line *lines;
	size_t n, drawn;	/* lines, and how many are on the screen */
	int64_t last_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct progress *progress_new(void)
{
	struct progress *p;

	if (log_level == LOG_QUIET || !isatty(STDERR_FILENO))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

/* "12.3 MiB" into buf. */
static void human(char *buf, size_t size, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

/*
 * draw_line - "LABEL  DONE / TOTAL  RATE/s  ETA Ns" while a blob comes,
 * "LABEL  TOTAL  RATE/s  in Ns  STATUS" once it is finished.
 */
static void draw_line(const struct line *l, int64_t now)
{
	char done[32], total[32], rate[32], eta[32] = "ETA --";
	int64_t end = l->status ? l->end_ns : now;
	double secs = (double)(end - l->start_ns) / 1e9, bps;

	human(done, sizeof(done), (double)l->done);
	human(total, sizeof(total), (double)l->total);
	/* a rate over the first moments says little until the end */
	bps = secs > 0.2 || (l->status && secs > 0) ? (double)l->done / secs
						     : 0;
	human(rate, sizeof(rate), bps);
	if (l->status) {
		fprintf(stderr, "\r\033[K%s  %s  %s/s  in %.1fs  %s\n",
			l->label, total, rate, secs, l->status);
		return;
	}
	if (bps > 0 && l->total >= l->done)
		snprintf(eta, sizeof(eta), "ETA %.0fs",
			 (double)(l->total - l->done) / bps);
	fprintf(stderr, "\r\033[K%s  %s / %s  %s/s  %s\n", l->label, done,
		total, rate, eta);
}

static void redraw(struct progress *p, bool force)
{
	int64_t now = now_ns();
	size_t i;

	if (!force && now - p->last_ns < REDRAW_NS)
		return;
	p->last_ns = now;
	if (p->drawn)
		fprintf(stderr, "\033[%zuA", p->drawn);
	for (i = 0; i < p->n; i++)
		draw_line(&p->lines[i], now);
	p->drawn = p->n;
	fflush(stderr);
}

int progress_add(struct progress *p, const char *label, uint64_t total)
{
	int id;

	if (!p)
		return -1;
	pthread_mutex_lock(&p->lock);
	p->lines = xreallocarray(p->lines, p->n + 1, sizeof(*p->lines));
	p->lines[p->n] = (struct line){ .label = xstrdup(label),
					.total = total,
					.start_ns = now_ns() };
	id = (int)p->n++;
	redraw(p, true);
	pthread_mutex_unlock(&p->lock);
	return id;
}

void progress_update(struct progress *p, int id, uint64_t done)
{
	if (!p || id < 0)
		return;
	pthread_mutex_lock(&p->lock);
	p->lines[id].done = done;
	redraw(p, false);
	pthread_mutex_unlock(&p->lock);
}

void progress_end(struct progress *p, int id, const char *status)
{
	if (!p || id < 0)
		return;
	pthread_mutex_lock(&p->lock);
	free(p->lines[id].status);
	p->lines[id].status = xstrdup(status);
	p->lines[id].end_ns = now_ns();
	redraw(p, true);
	pthread_mutex_unlock(&p->lock);
}

void progress_free(struct progress *p)
{
	size_t i;

	if (!p)
		return;
	redraw(p, true);
	for (i = 0; i < p->n; i++) {
		free(p->lines[i].label);
		free(p->lines[i].status);
	}
	pthread_mutex_destroy(&p->lock);
	free(p->lines);
	free(p);
}
