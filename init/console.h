/*
 * console: everything the init shows on the VM's console. Its own
 * messages start "hpc-init: "; each container's output arrives through a
 * pipe and leaves as whole lines, "NAME | text" for stdout and
 * "NAME ! text" for stderr (docs/image-format.md, "Console output").
 */
#ifndef HPC_INIT_CONSOLE_H
#define HPC_INIT_CONSOLE_H

#include <stddef.h>

/* A longer line is cut and shown in pieces of this size. */
#define CONSOLE_LINE_MAX 4096

/*
 * console_open - open /dev/console as stdin, stdout and stderr (devtmpfs
 * must be mounted). Returns 0 or -errno; the init goes on without it.
 */
int console_open(void);

/* console_say - write "hpc-init: MESSAGE\n" to stderr in one write. */
void console_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One container stream being cut into lines. */
struct console_stream {
	const char *name;	/* the container's; not owned */
	char mark;		/* '|' for stdout, '!' for stderr */
	int out_fd;		/* where the lines go */
	size_t len;
	char buf[CONSOLE_LINE_MAX];
};

/* console_stream_init - an empty stream writing NAME MARK lines to out_fd. */
void console_stream_init(struct console_stream *s, const char *name,
			 char mark, int out_fd);

/*
 * console_stream_feed - take n bytes a container wrote; write out every
 * line they complete, each in one write, and keep the rest.
 */
void console_stream_feed(struct console_stream *s, const char *data,
			 size_t n);

/* console_stream_flush - at EOF: write a partial last line, if any. */
void console_stream_flush(struct console_stream *s);

/* console_write_all - write n bytes to fd, retrying short writes. */
int console_write_all(int fd, const void *buf, size_t n);

#endif
