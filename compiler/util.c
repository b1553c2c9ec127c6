/*
 * util: memory helpers and error messages shared by every stage of the
 * compiler and by the runtime stub. See util.h.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum log_level log_level = LOG_NORMAL;

int err_set(struct hpc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void err_prefix(struct hpc_err *err, const char *fmt, ...)
{
	char head[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old) < 0)
		memcpy(err->msg, old, sizeof(old));
}

static void oom(void)
{
	fputs("hpc: out of memory\n", stderr);
	abort();
}

void err_print(const struct hpc_err *err)
{
	const char *p = err->msg, *nl;

	do {
		nl = strchr(p, '\n');
		fprintf(stderr, "hpc: %.*s\n",
			(int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		p = nl + 1;
	} while (nl);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom();
	return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		oom();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xshorten(const char *s, size_t head, size_t tail)
{
	size_t n = strlen(s);

	if (n <= head + tail)
		return xstrdup(s);
	return xasprintf("%.*s...%s", (int)head, s, s + n - tail);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char **strv_dup(char *const *v)
{
	size_t i, n = strv_len(v);
	char **r;

	if (!v)
		return NULL;
	r = xcalloc(n + 1, sizeof(*r));
	for (i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

void strv_take(char ***v, char *s)
{
	size_t n = strv_len(*v);

	*v = xreallocarray(*v, n + 2, sizeof(**v));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void strv_push(char ***v, const char *s)
{
	strv_take(v, xstrdup(s));
}

void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void log_at(enum log_level min, const char *prefix, const char *fmt,
		   va_list ap)
{
	if (log_level < min)
		return;
	/* whole lines: root filesystems are written on several threads */
	flockfile(stderr);
	fprintf(stderr, "hpc: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(LOG_NORMAL, "warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(LOG_NORMAL, "", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(LOG_VERBOSE, "", fmt, ap);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hpc: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'hpc %s --help'\n", cmd);
	return 2;
}

int usage_bad_option(const char *cmd, const char *word)
{
	return usage_error(cmd, "unknown option or missing value in '%s'",
			   word);
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
	      struct hpc_err *err)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, rc = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", path,
			       strerror(errno));
	buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(err, -errno, "cannot read '%s': %s", path,
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			rc = err_set(err, -EFBIG, "'%s' is larger than %zu bytes",
				     path, max);
			goto out;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

static const struct {
	mode_t type;
	const char *what;
} kinds[] = {
	{ .type = S_IFREG, .what = "a regular file" },
	{ .type = S_IFDIR, .what = "a directory" },
	{ .type = S_IFCHR, .what = "a character device" },
	{ .type = S_IFBLK, .what = "a block device" },
	{ .type = S_IFIFO, .what = "a FIFO" },
	{ .type = S_IFSOCK, .what = "a socket" },
	{ .type = S_IFLNK, .what = "a symlink" },
};

const char *file_kind(mode_t mode)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if ((mode & S_IFMT) == kinds[i].type)
			return kinds[i].what;
	return "a file of no known kind";
}

static int not_regular(const char *path, mode_t mode, struct hpc_err *err)
{
	return err_set(err, -EINVAL, "'%s' is %s, not a regular file", path,
		       file_kind(mode));
}

/*
 * Checked twice: stat first, so nothing but a regular file is opened
 * (opening a device can have effects of its own), then fstat, since
 * path may have been replaced in between; O_NONBLOCK keeps the open of
 * a FIFO that slipped in from waiting for a writer.
 */
int open_regular(const char *path, struct stat *ret_st, struct hpc_err *err)
{
	struct stat st;
	int fd, rc;

	if (stat(path, &st) < 0)
		return err_set(err, -errno, "cannot read '%s': %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return not_regular(path, st.st_mode, err);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot read '%s': %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0)
		rc = err_set(err, -errno, "cannot read '%s': %s", path,
			     strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = not_regular(path, st.st_mode, err);
	else {
		*ret_st = st;
		return fd;
	}
	close(fd);
	return rc;
}
