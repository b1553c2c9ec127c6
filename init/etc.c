/*
 * etc: the pod's name-resolution files (see etc.h).
 */
#include "etc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "mounts.h"

static const char *const etc_files[] = { "hosts", "hostname", "resolv.conf" };

static int write_text(const char *dir, const char *name, const char *text,
		      struct errmsg *e)
{
	char path[512];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot create '%s': %s", path,
				  strerror(errno));
	r = console_write_all(fd, text, strlen(text));
	close(fd);
	if (r < 0)
		return errmsg_set(e, r, "cannot write '%s': %s", path,
				  strerror(-r));
	return 0;
}

/* One "KEY a b c" line of resolv.conf from a list; at the end of buf. */
static size_t resolv_line(char *buf, size_t size, size_t n, const char *key,
			  char *const *v, size_t count)
{
	size_t i;

	if (!count || n >= size)
		return n;
	n += (size_t)snprintf(buf + n, size - n, "%s", key);
	for (i = 0; i < count && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, " %s", v[i]);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "\n");
	return n;
}

/* resolv.conf as resolv.conf(5) reads it; its length, >= size if cut. */
static size_t resolv_text(const struct plan *plan, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < plan->n_dns && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "nameserver %s\n",
				      plan->dns[i]);
	n = resolv_line(buf, size, n, "search", plan->dns_search,
			plan->n_dns_search);
	return resolv_line(buf, size, n, "options", plan->dns_options,
			   plan->n_dns_options);
}

int etc_prepare(const char *dir, const struct plan *plan, struct errmsg *e)
{
	char hosts[1024], resolv[4096];
	size_t n;
	int r;

	r = mounts_mkdir_p(dir, 0755);
	if (r < 0)
		return errmsg_set(e, r, "cannot create '%s': %s", dir,
				  strerror(-r));
	snprintf(hosts, sizeof(hosts),
		 "127.0.0.1\tlocalhost\n"
		 "::1\tlocalhost ip6-localhost ip6-loopback\n"
		 "%s\t%s%s%s\n", plan->ip ? plan->ip : "127.0.1.1",
		 plan->hostname, strcmp(plan->name, plan->hostname) ? " " : "",
		 strcmp(plan->name, plan->hostname) ? plan->name : "");
	n = resolv_text(plan, resolv, sizeof(resolv));
	if (n >= sizeof(resolv))
		return errmsg_set(e, -E2BIG, "the resolver configuration is "
				  "over %zu bytes", sizeof(resolv) - 1);
	r = write_text(dir, "hosts", hosts, e);
	if (r == 0)
		r = write_text(dir, "resolv.conf", resolv, e);
	if (r == 0) {
		snprintf(hosts, sizeof(hosts), "%s\n", plan->hostname);
		r = write_text(dir, "hostname", hosts, e);
	}
	return r;
}

/* Make root/etc/name a regular file to mount on. */
static int make_target(const char *path, struct errmsg *e)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return errmsg_set(e, -errno, "cannot replace '%s': %s", path,
				  strerror(errno));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot create '%s': %s", path,
				  strerror(errno));
	close(fd);
	return 0;
}

int etc_bind(const char *dir, const char *root, const struct plan *plan,
	     struct errmsg *e)
{
	char src[512], dst[512];
	struct stat st;
	size_t i;
	int r;

	snprintf(dst, sizeof(dst), "%s/etc", root);
	if (lstat(dst, &st) < 0 && mkdir(dst, 0755) < 0)
		return errmsg_set(e, -errno, "cannot create '%s': %s", dst,
				  strerror(errno));
	if (lstat(dst, &st) < 0 || !S_ISDIR(st.st_mode))
		return errmsg_set(e, -ENOTDIR, "'%s' is not a directory", dst);
	for (i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++) {
		if (!plan->n_dns && !strcmp(etc_files[i], "resolv.conf"))
			continue;
		snprintf(src, sizeof(src), "%s/%s", dir, etc_files[i]);
		snprintf(dst, sizeof(dst), "%s/etc/%s", root, etc_files[i]);
		r = make_target(dst, e);
		if (r == 0)
			r = mounts_bind(src, dst, e);
		if (r < 0)
			return r;
	}
	return 0;
}
