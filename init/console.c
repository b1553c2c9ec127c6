/*
 * console: the init's messages and the containers' prefixed output on the
 * VM's console (see console.h). The init is the only writer of container
 * lines and writes each whole line at once, so lines never mix.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

int console_open(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	int i;

	if (fd < 0)
		return -errno;
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
	console_write_all(STDERR_FILENO, line, (size_t)n);
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
	console_write_all(s->out_fd, line, head + n + 1);
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
