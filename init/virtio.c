/*
 * virtio: look for a virtio device by its device ID in sysfs. See
 * virtio.h.
 */
#include "virtio.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BUS_DIR "/sys/bus/virtio/devices"

/* The device ID of bus entry name ("0x0001\n" in its "device" file). */
static long device_id(const char *name)
{
	char path[300], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), BUS_DIR "/%s/device", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 16);
}

int virtio_present(unsigned id)
{
	DIR *dir = opendir(BUS_DIR);
	struct dirent *d;
	int found = 0;

	if (!dir)
		return 0;
	while (!found && (d = readdir(dir)))
		found = d->d_name[0] != '.' && device_id(d->d_name) == (long)id;
	closedir(dir);
	return found;
}
