/*
 * timings: the boot's marks on the host's clock. See timings.h.
 */
#include "timings.h"

#include <errno.h>
#include <string.h>

#include "util.h"

/* What each guest mark means, by its first word. */
static const struct {
	const char *word;
	const char *label;
	bool named;		/* "container 'NAME' LABEL" */
} mark_labels[] = {
	{ "init", "init started", false },
	{ "modules", "kernel modules loaded", false },
	{ "network", "network set up", false },
	{ "ready", "root filesystems mounted", false },
	{ "started", "started", true },
	{ "exit", "exited", true },
	{ "stop", "init began to stop the pod", false },
	{ "pod", "pod ended, powering off", false },
};

int timings_offset(const struct channel *ch, int64_t *ret)
{
	int64_t best = 0, d;
	size_t i;

	if (!ch->n_marks)
		return -ENOENT;
	for (i = 0; i < ch->n_marks; i++) {
		d = ch->marks[i].host_ms - ch->marks[i].guest_ms;
		if (i == 0 || d < best)
			best = d;
	}
	*ret = best;
	return 0;
}

static void line(FILE *f, int64_t ms, const char *what, const char *guest)
{
	fprintf(f, "hpc: timing: %4lld.%03lld s  %s%s\n",
		(long long)(ms / 1000), (long long)(ms % 1000), what, guest);
}

/* The words of a mark in plain words, in buf. */
static void label(const char *what, char *buf, size_t size)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(mark_labels); i++) {
		n = strlen(mark_labels[i].word);
		if (strncmp(what, mark_labels[i].word, n) ||
		    (what[n] && what[n] != ' '))
			continue;
		if (mark_labels[i].named)
			snprintf(buf, size, "container '%s' %s",
				 what[n] ? what + n + 1 : "?",
				 mark_labels[i].label);
		else
			snprintf(buf, size, "%s", mark_labels[i].label);
		return;
	}
	snprintf(buf, size, "%s", what);
}

void timings_print(const struct channel *ch, const struct timings_host *h,
		   FILE *f)
{
	char what[300], guest[64];
	int64_t off = 0, at;
	size_t i;
	bool stop_said = !h->stop_ms;

	line(f, 0, "qemu started", "");
	timings_offset(ch, &off);
	for (i = 0; i < ch->n_marks; i++) {
		at = ch->marks[i].guest_ms + off - h->start_ms;
		if (!stop_said && h->stop_ms - h->start_ms <= at) {
			line(f, h->stop_ms - h->start_ms,
			     "stop request sent to the guest", "");
			stop_said = true;
		}
		label(ch->marks[i].what, what, sizeof(what));
		snprintf(guest, sizeof(guest), " (guest clock %lld.%03lld s)",
			 (long long)(ch->marks[i].guest_ms / 1000),
			 (long long)(ch->marks[i].guest_ms % 1000));
		line(f, at, what, guest);
	}
	if (!stop_said)
		line(f, h->stop_ms - h->start_ms,
		     "stop request sent to the guest", "");
	line(f, h->end_ms - h->start_ms, "qemu ended", "");
}
