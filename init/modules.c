/*
 * modules: kernel modules from the initrd (see modules.h). The Debian
 * cloud kernel's modules are uncompressed, so finit_module takes the
 * files as they are.
 */
#include "modules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int load_one(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		r = -errno;
	close(fd);
	return r;
}

int modules_load(char *const *paths, struct errmsg *e)
{
	int r;

	for (; paths && *paths; paths++) {
		r = load_one(*paths);
		if (r < 0)
			return errmsg_set(e, r, "cannot load module '%s': %s",
					  *paths, strerror(-r));
	}
	return 0;
}

/* One pass over dir; how many modules loaded now that had not before. */
static int load_pass(const char *dir)
{
	char path[512];
	struct dirent *d;
	DIR *dp = opendir(dir);
	size_t len;
	int fd, n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		len = strlen(d->d_name);
		if (len < 4 || strcmp(d->d_name + len - 3, ".ko"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "", 0) == 0)
			n++;
		close(fd);
	}
	closedir(dp);
	return n;
}

int modules_load_dir(const char *dir)
{
	int n, total = 0;

	while ((n = load_pass(dir)) > 0)
		total += n;
	return total;
}
