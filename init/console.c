/*
 * console: the init's messages and the containers' prefixed output on the
 * VM's console (see console.h). The init is the only writer of container
 * lines and writes each whole line at once, so lines never mix. The
 * kernel's console is the serial port (named last on the command line,
 * so it is /dev/console); when the VM also has a screen, every line goes
 * to tty0 as well, so a host that shows only the screen shows the pod.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int console_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#define TTY_MAJOR 4		/* the VTs, /dev/tty0 to /dev/tty63 */

/* The screen, when /dev/console is the serial port and a screen exists. */
static int screen_fd = -1;

/*
 * A VT console that draws somewhere: with no display adapter the kernel
 * binds only its "dummy device", and writing to tty0 would cost time for
 * nothing.
 */
static int screen_present(void)
{
	char path[64], name[128];
	ssize_t n;
	int i, fd, found = 0;

	for (i = 0; i < 8 && !found; i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/vtconsole/vtcon%d/name", i);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
		name[n > 0 ? n : 0] = '\0';
		found = n > 0 && !strstr(name, "dummy");
	}
	return found;
}

/* tty0, when the console is elsewhere (console=tty0 console=ttyS0). */
static void open_screen(int console_fd)
{
	struct stat con, scr;
	int fd;

	if (!screen_present())
		return;
	fd = open("/dev/tty0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(console_fd, &con) == 0 && fstat(fd, &scr) == 0 &&
	    major(con.st_rdev) == TTY_MAJOR) {
		close(fd);	/* the console is a VT already */
		return;
	}
	screen_fd = fd;
}

/* What the console shows goes to the screen too, if there is one. */
static void show(int fd, const char *buf, size_t n)
{
	console_write_all(fd, buf, n);
	if (screen_fd >= 0)
		console_write_all(screen_fd, buf, n);
}

int console_open(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	int i;

	if (fd < 0)
		return -errno;
	open_screen(fd);
	for (i = 0; i < 3; i++)
		if (fd != i && dup2(fd, i) < 0)
			return -errno;
	if (fd > 2)
		close(fd);
	return 0;
}

void console_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	memcpy(line, "hpc-init: ", 10);
	va_start(ap, fmt);
	n = vsnprintf(line + 10, sizeof(line) - 11, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 10;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	show(STDERR_FILENO, line, (size_t)n);
}

void console_stream_init(struct console_stream *s, const char *name,
			 char mark, int out_fd)
{
	s->name = name;
	s->mark = mark;
	s->out_fd = out_fd;
	s->len = 0;
}

/* One line out, "NAME M text\n", in a single write. */
static void emit(struct console_stream *s, const char *text, size_t n)
{
	char line[CONSOLE_LINE_MAX + 256];
	size_t head = strnlen(s->name, 200);

	memcpy(line, s->name, head);
	line[head++] = ' ';
	line[head++] = s->mark;
	line[head++] = ' ';
	memcpy(line + head, text, n);
	line[head + n] = '\n';
	show(s->out_fd, line, head + n + 1);
}

void console_stream_feed(struct console_stream *s, const char *data,
			 size_t n)
{
	const char *nl;
	size_t take;

	while (n) {
		/* A full buffer is a line only once we know it goes on. */
		if (s->len == sizeof(s->buf) && *data != '\n') {
			emit(s, s->buf, s->len);
			s->len = 0;
		}
		nl = memchr(data, '\n', n);
		take = nl ? (size_t)(nl - data) : n;
		if (take > sizeof(s->buf) - s->len)
			take = sizeof(s->buf) - s->len;
		memcpy(s->buf + s->len, data, take);
		s->len += take;
		data += take;
		n -= take;
		if (n && *data == '\n') {
			emit(s, s->buf, s->len);
			s->len = 0;
			data++;
			n--;
		}
	}
}

void console_stream_flush(struct console_stream *s)
{
	if (s->len)
		emit(s, s->buf, s->len);
	s->len = 0;
}
