/*
 * refindex: reference -> manifest digest, in the blob cache, for
 * --offline. See refindex.h.
 */
#include "refindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define INDEX_MAX (16u << 20)

/* The line for name in buf, or NULL. */
static char *find_line(char *buf, const char *name)
{
	size_t n = strlen(name);
	char *p = buf;

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int refindex_get(const char *cache, const char *name,
		 char ret_digest[DIGEST_STR_LEN], char **ret_type,
		 struct hpc_err *err)
{
	char *path = xasprintf("%s/references", cache), *buf = NULL;
	char *line, *d, *t, *end;
	size_t len;
	int rc;

	rc = read_file(path, INDEX_MAX, &buf, &len, err);
	if (rc < 0)
		goto out;
	line = find_line(buf, name);
	rc = -ENOENT;
	if (!line)
		goto out;
	end = strchrnul(line, '\n');
	*end = '\0';
	d = line + strlen(name) + 1;
	t = strchrnul(d, ' ');
	if (t - d != DIGEST_STR_LEN - 1) {
		rc = err_set(err, -EINVAL, "'%s': malformed line for '%s'",
			     path, name);
		goto out;
	}
	memcpy(ret_digest, d, DIGEST_STR_LEN - 1);
	ret_digest[DIGEST_STR_LEN - 1] = '\0';
	*ret_type = xstrdup(*t ? t + 1 : "");
	rc = 0;
out:
	free(buf);
	free(path);
	return rc;
}

/* The old index without name's line, then the new line. */
static char *updated(const char *path, const char *name, const char *line)
{
	char *buf = NULL, *old, *next, *r;
	size_t len = 0;

	if (read_file(path, INDEX_MAX, &buf, &len, NULL) < 0)
		buf = xstrdup("");
	old = find_line(buf, name);
	if (old) {
		next = strchr(old, '\n');
		memmove(old, next ? next + 1 : "", next ? strlen(next + 1) + 1 : 1);
	}
	r = xasprintf("%s%s", buf, line);
	free(buf);
	return r;
}

static int write_whole(const char *path, const char *text,
		       struct hpc_err *err)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	size_t n = strlen(text);
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) < 0)
		rc = err_set(err, -errno ? -errno : -EIO,
			     "cannot write '%s': %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = err_set(err, -errno, "cannot rename '%s': %s", tmp,
			     strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int refindex_put(const char *cache, const char *name, const char *digest,
		 const char *type, struct hpc_err *err)
{
	char *path = xasprintf("%s/references", cache);
	char *lock = xasprintf("%s/references.lock", cache);
	char *line = xasprintf("%s %s %s\n", name, digest, type ? type : "");
	char *text = NULL;
	int fd, rc;

	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		rc = err_set(err, -errno, "cannot lock '%s': %s", lock,
			     strerror(errno));
		goto out;
	}
	text = updated(path, name, line);
	rc = write_whole(path, text, err);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(line);
	free(lock);
	free(path);
	return rc;
}
