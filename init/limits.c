/*
 * limits: a container's resource limits (see limits.h). Applied in the
 * container's process, after its namespaces and before its user, so the
 * hard limits can still be raised.
 */
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct limit {
	int resource;
	const char *name;
	rlim_t value;		/* soft and hard */
	int capped;		/* by fs.nr_open */
};

static const struct limit limits[] = {
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", LIMITS_NOFILE, 1 },
};

rlim_t limits_clamp(rlim_t want, rlim_t max)
{
	return max && max < want ? max : want;
}

/* The number in a small /proc file; 0 when it cannot be read. */
static rlim_t read_number(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (rlim_t)strtoull(buf, NULL, 10);
}

int limits_apply(const char *nr_open, struct errmsg *e)
{
	rlim_t max = read_number(nr_open);
	struct rlimit rl;
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		rl.rlim_cur = limits[i].capped
				      ? limits_clamp(limits[i].value, max)
				      : limits[i].value;
		rl.rlim_max = rl.rlim_cur;
		if (setrlimit(limits[i].resource, &rl) < 0)
			return errmsg_set(e, -errno, "cannot set %s to %llu: "
					  "%s", limits[i].name,
					  (unsigned long long)rl.rlim_cur,
					  strerror(errno));
	}
	return 0;
}
