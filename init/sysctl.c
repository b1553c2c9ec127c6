/*
 * sysctl: write /proc/sys entries (see sysctl.h), as sysctl(8) -w does.
 */
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"

/* /proc/sys/a/b/c for "a.b.c"; a name with '/' is taken as a path. */
static void sysctl_path(const char *entry, size_t n, char *buf, size_t size)
{
	size_t i, at;
	bool slashes = memchr(entry, '/', n) != NULL;

	at = (size_t)snprintf(buf, size, "/proc/sys/");
	for (i = 0; i < n && at + 1 < size; i++)
		buf[at++] = entry[i] == '.' && !slashes ? '/' : entry[i];
	buf[at] = '\0';
}

static int write_one(const char *entry, struct errmsg *e)
{
	size_t n = strcspn(entry, "=");
	const char *value = entry[n] ? entry + n + 1 : "";
	char path[512];
	int fd, r;

	sysctl_path(entry, n, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(e, -errno, "sysctl %.*s: cannot open '%s': "
				  "%s", (int)n, entry, path, strerror(errno));
	r = console_write_all(fd, value, strlen(value));
	close(fd);
	if (r < 0)
		return errmsg_set(e, r, "sysctl %.*s: cannot set '%s': %s",
				  (int)n, entry, value, strerror(-r));
	return 0;
}

int sysctl_apply(char *const *entries, struct errmsg *e)
{
	size_t i;
	int r;

	for (i = 0; entries && entries[i]; i++) {
		r = write_one(entries[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}
