/*
 * report: the exit channel to the host (see report.h). Without udev there
 * is no /dev/virtio-ports/NAME link, so the port is found by the name the
 * host gave it in sysfs. The port is opened for reading too: the host
 * asks the pod to stop on it. Without the port (a firmware boot by a
 * plain QEMU command or another hypervisor), each event goes to the
 * console as "hpc-init: report: LINE", so a serial log still carries the
 * status.
 */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "console.h"
#include "mono.h"
#include "virtio.h"

#define PORTS_DIR "/sys/class/virtio-ports"

static int report_fd = -1;
static char req_line[REPORT_REQUEST_MAX];
static size_t req_len;

/* Read a small sysfs file, without its trailing newline. */
static int read_attr(const char *dir, const char *port, const char *attr,
		     char *buf, size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, port, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* The port named name, as "vportNpM" in ret_port; -ENOENT if none yet. */
static int find_port(const char *name, char *ret_port, size_t size)
{
	char value[128];
	struct dirent *d;
	DIR *dir = opendir(PORTS_DIR);
	int r = -ENOENT;

	if (!dir)
		return -ENOENT;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		if (read_attr(PORTS_DIR, d->d_name, "name", value,
			      sizeof(value)) < 0 || strcmp(value, name))
			continue;
		snprintf(ret_port, size, "%s", d->d_name);
		r = 0;
		break;
	}
	closedir(dir);
	return r;
}

static int open_port(const char *port, struct errmsg *e)
{
	unsigned maj, min;
	char path[300], dev[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", port);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 || errno != ENOENT)
		goto out;
	if (read_attr(PORTS_DIR, port, "dev", dev, sizeof(dev)) < 0 ||
	    sscanf(dev, "%u:%u", &maj, &min) != 2)
		return errmsg_set(e, -ENODEV, "no device number for port "
				  "'%s'", port);
	if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) < 0)
		return errmsg_set(e, -errno, "cannot create '%s': %s", path,
				  strerror(errno));
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
out:
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot open '%s': %s", path,
				  strerror(errno));
	report_fd = fd;
	return 0;
}

int report_open(unsigned timeout_ms, struct errmsg *e)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	char port[256];

	if (report_fd >= 0)
		return 0;
	if (!virtio_present(VIRTIO_ID_CONSOLE))
		return errmsg_set(e, -ENOENT, "no virtio-serial device");
	while (find_port(REPORT_PORT_NAME, port, sizeof(port)) < 0) {
		if (mono_ms() >= deadline)
			return errmsg_set(e, -ENOENT, "no virtio-serial port "
					  "named '%s'", REPORT_PORT_NAME);
		mono_sleep_ms(10);
	}
	return open_port(port, e);
}

void report_use_fd(int fd)
{
	report_fd = fd;
	req_len = 0;
}

int report_is_open(void)
{
	return report_fd >= 0;
}

void report_event(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (report_fd < 0) {
		console_say("report: %.*s", n, line);
		return;
	}
	line[n++] = '\n';
	console_write_all(report_fd, line, (size_t)n);
}

int report_fd_get(void)
{
	return report_fd;
}

static const struct {
	const char *line;
	enum report_request req;
} requests[] = {
	{ "stop", REPORT_STOP },
};

enum report_request report_parse_request(const char *line)
{
	size_t i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (!strcmp(line, requests[i].line))
			return requests[i].req;
	return REPORT_NONE;
}

/* Cut data into lines; the last request of the lines wins. */
static enum report_request take_lines(const char *data, size_t n)
{
	enum report_request got = REPORT_NONE, r;
	size_t i;

	for (i = 0; i < n; i++) {
		if (data[i] != '\n') {
			if (req_len < sizeof(req_line) - 1)
				req_line[req_len++] = data[i];
			continue;
		}
		while (req_len && req_line[req_len - 1] == '\r')
			req_len--;
		req_line[req_len] = '\0';
		req_len = 0;
		r = report_parse_request(req_line);
		if (r != REPORT_NONE)
			got = r;
	}
	return got;
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

enum report_request report_read_requests(void)
{
	enum report_request got = REPORT_NONE, r;
	char buf[256];
	ssize_t n;

	/* Blocking writes keep events whole; so read only what poll saw. */
	while (report_fd >= 0 && readable(report_fd)) {
		n = read(report_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r = take_lines(buf, (size_t)n);
		if (r != REPORT_NONE)
			got = r;
	}
	return got;
}

void report_close(void)
{
	if (report_fd < 0)
		return;
	fsync(report_fd);
	close(report_fd);
	report_fd = -1;
}
