/*
 * partitions: GPT partitions by name (see partitions.h). Block devices
 * show up while virtio_blk probes, so the search polls sysfs for a while
 * before it gives up.
 */
#include "partitions.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mono.h"

#define BLOCK_DIR "/sys/class/block"

/* The value of KEY= in text, copied to buf; NULL when absent. */
static const char *uevent_value(const char *text, const char *key,
				char *buf, size_t size)
{
	size_t klen = strlen(key), n;
	const char *line, *end;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		n = (size_t)(end - line) - klen - 1;
		if (n >= size)
			n = size - 1;
		memcpy(buf, line + klen + 1, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

int partitions_uevent_match(const char *text, const char *name,
			    char *ret_devname, size_t size, dev_t *ret_dev)
{
	char part[128], maj[16], min[16], devname[64];
	char *end1, *end2;
	unsigned long ma, mi;

	if (!uevent_value(text, "PARTNAME", part, sizeof(part)) ||
	    strcmp(part, name) ||
	    !uevent_value(text, "MAJOR", maj, sizeof(maj)) ||
	    !uevent_value(text, "MINOR", min, sizeof(min)) ||
	    !uevent_value(text, "DEVNAME", devname, sizeof(devname)))
		return 0;
	ma = strtoul(maj, &end1, 10);
	mi = strtoul(min, &end2, 10);
	if (!*maj || *end1 || !*min || *end2 || strchr(devname, '/'))
		return 0;
	snprintf(ret_devname, size, "%s", devname);
	*ret_dev = makedev(ma, mi);
	return 1;
}

static int read_uevent(const char *dev, char *buf, size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/uevent", BLOCK_DIR, dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* One look through sysfs; 0 with the device, or -ENOENT. */
static int scan(const char *name, char *devname, size_t size, dev_t *dev)
{
	char text[4096];
	struct dirent *d;
	DIR *dir = opendir(BLOCK_DIR);
	int r = -ENOENT;

	if (!dir)
		return -ENOENT;
	while (r < 0 && (d = readdir(dir)))
		if (d->d_name[0] != '.' &&
		    read_uevent(d->d_name, text, sizeof(text)) == 0 &&
		    partitions_uevent_match(text, name, devname, size, dev))
			r = 0;
	closedir(dir);
	return r;
}

int partitions_find(const char *name, unsigned timeout_ms, char *ret_path,
		    size_t size, struct errmsg *e)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	char devname[64], path[128];
	struct stat st;
	dev_t dev;

	while (scan(name, devname, sizeof(devname), &dev) < 0) {
		if (mono_ms() >= deadline)
			return errmsg_set(e, -ENOENT, "no partition named "
					  "'%s' after %u ms", name, timeout_ms);
		mono_sleep_ms(10);
	}
	snprintf(path, sizeof(path), "/dev/%s", devname);
	if (stat(path, &st) < 0 &&
	    mknod(path, S_IFBLK | 0600, dev) < 0)
		return errmsg_set(e, -errno, "cannot create '%s' for "
				  "partition '%s': %s", path, name,
				  strerror(errno));
	snprintf(ret_path, size, "%s", path);
	return 0;
}
