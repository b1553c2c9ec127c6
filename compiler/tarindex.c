/*
 * tarindex: member offsets of an uncompressed tar. See tarindex.h.
 *
 * Only what is needed to find data is read: the name (ustar prefix and
 * name, a GNU 'L' long name, or a PAX "path"), the size (octal, base-256
 * or a PAX "size") and the type. A header whose checksum is wrong ends
 * the index with -ENOTSUP, so anything unusual is read as a stream.
 */
#include "tarindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tarscan.h"

#define BLOCK 512
#define EXT_MAX (1u << 20)	/* PAX records and long names */

/* An octal or base-256 number field. */
static uint64_t tar_number(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	if (p[0] & 0x80) {
		for (v = p[0] & 0x3f, i = 1; i < n; i++)
			v = v << 8 | p[i];
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v << 3 | (uint64_t)(p[i] - '0');
	return v;
}

static bool checksum_ok(const uint8_t *h)
{
	uint64_t want = tar_number(h + 148, 8), sum = 0;
	size_t i;

	for (i = 0; i < BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return sum == want;
}

static bool all_zero(const uint8_t *h)
{
	size_t i;

	for (i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

/* What PAX and GNU headers say about the next member. */
struct pending {
	char *name;
	bool has_size;
	uint64_t size;
};

/* PAX records "LEN key=value\n": the path and size ones. */
static void parse_pax(const char *buf, size_t len, struct pending *p)
{
	const char *rec = buf, *end = buf + len, *eq, *val;
	char *stop;
	unsigned long long n;

	while (rec < end) {
		n = strtoull(rec, &stop, 10);
		if (stop == rec || *stop != ' ' || n == 0 ||
		    n > (unsigned long long)(end - rec))
			return;
		val = stop + 1;
		eq = memchr(val, '=', (size_t)(rec + n - val));
		if (eq && eq - val == 4 && !memcmp(val, "path", 4)) {
			free(p->name);
			p->name = xstrndup(eq + 1, (size_t)(rec + n - eq - 2));
		} else if (eq && eq - val == 4 && !memcmp(val, "size", 4)) {
			p->size = strtoull(eq + 1, NULL, 10);
			p->has_size = true;
		}
		rec += n;
	}
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t got = pread(fd, buf, n, (off_t)off);

	if (got < 0)
		return -errno;
	return (size_t)got == n ? 0 : -ENOTSUP;
}

/* The data of an extension header, NUL-terminated. */
static int read_ext(int fd, uint64_t off, uint64_t size, char **ret)
{
	char *buf;
	int rc;

	if (size > EXT_MAX)
		return -ENOTSUP;
	buf = xmalloc((size_t)size + 1);
	rc = read_at(fd, buf, (size_t)size, off);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[size] = '\0';
	*ret = buf;
	return 0;
}

static char *ustar_name(const uint8_t *h)
{
	const char *name = (const char *)h, *prefix = (const char *)h + 345;
	size_t nl = strnlen(name, 100), pl = strnlen(prefix, 155);

	if (!memcmp(h + 257, "ustar", 5) && pl)
		return xasprintf("%.*s/%.*s", (int)pl, prefix, (int)nl, name);
	return xstrndup(name, nl);
}

static void add_member(struct tarindex *ix, char *name, uint64_t off,
		       uint64_t size, char type)
{
	struct tar_member *m;

	ix->members = xreallocarray(ix->members, ix->n + 1,
				    sizeof(*ix->members));
	m = &ix->members[ix->n++];
	m->name = xstrdup(tarscan_name(name));
	m->offset = off;
	m->size = size;
	m->regular = type == '0' || type == '\0' || type == '7';
	free(name);
}

/* One header at *off: an extension kept in p, or a member added. */
static int index_header(int fd, const uint8_t *h, uint64_t *off,
			struct pending *p, struct tarindex *ix)
{
	uint64_t size = tar_number(h + 124, 12), data = *off + BLOCK;
	char type = (char)h[156], *ext = NULL;
	int rc = 0;

	if (type == 'x' || type == 'L') {
		rc = read_ext(fd, data, size, &ext);
		if (rc == 0 && type == 'x')
			parse_pax(ext, (size_t)size, p);
		if (rc == 0 && type == 'L') {
			free(p->name);
			p->name = xstrdup(ext);
		}
		free(ext);
	} else if (type != 'g' && type != 'K') {
		if (p->has_size)
			size = p->size;
		add_member(ix, p->name ? p->name : ustar_name(h), data, size,
			   type);
		*p = (struct pending){ 0 };
	}
	*off = data + (size + BLOCK - 1) / BLOCK * BLOCK;
	return rc;
}

static int index_fd(int fd, uint64_t file_size, struct tarindex *ix)
{
	struct pending p = { 0 };
	uint8_t h[BLOCK];
	uint64_t off = 0;
	bool ended = false;
	int rc = 0;

	while (rc == 0 && !ended && off + BLOCK <= file_size) {
		rc = read_at(fd, h, BLOCK, off);
		if (rc < 0)
			break;
		ended = all_zero(h);
		if (!ended && !checksum_ok(h))
			rc = -ENOTSUP;
		else if (!ended)
			rc = index_header(fd, h, &off, &p, ix);
	}
	/* a tar ends with a zero block; anything else is read as a stream */
	if (rc == 0 && (!ended || off > file_size))
		rc = -ENOTSUP;
	free(p.name);
	return rc;
}

int tarindex_read(const char *file, struct tarindex *ret, struct hpc_err *err)
{
	struct tarindex ix = { 0 };
	struct stat st;
	int fd, rc;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = err_set(err, -errno, "cannot open '%s': %s", file,
			     strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = index_fd(fd, (uint64_t)st.st_size, &ix);
	close(fd);
	if (rc < 0) {
		tarindex_release(&ix);
		if (rc != -ENOTSUP)
			err_set(err, rc, "cannot read '%s': %s", file,
				strerror(-rc));
		return rc;
	}
	*ret = ix;
	return 0;
}

const struct tar_member *tarindex_find(const struct tarindex *ix,
				       const char *name)
{
	const struct tar_member *found = NULL;
	size_t i;

	/* the last of several members of one name is what tar -x leaves */
	for (i = 0; i < ix->n; i++)
		if (!strcmp(ix->members[i].name, name))
			found = &ix->members[i];
	return found && found->regular ? found : NULL;
}

void tarindex_release(struct tarindex *ix)
{
	size_t i;

	if (!ix)
		return;
	for (i = 0; i < ix->n; i++)
		free(ix->members[i].name);
	free(ix->members);
	ix->members = NULL;
	ix->n = 0;
}
