/*
 * podimage: read and check a pod image's manifest, extract its kernel and
 * initrd. See podimage.h.
 */
#include "podimage.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpt_read.h"

/* A manifest is a few KiB; this bounds what a broken image makes us read. */
#define MANIFEST_MAX (16u * 1024 * 1024)
#define COPY_CHUNK (1024 * 1024)

/* The limits and the default of one integer field. */
struct uint_spec {
	const char *key;
	uint64_t min, max;
	bool required;
	uint64_t def;
};

static const struct uint_spec spec_format = {
	"format", 0, UINT32_MAX, true, 0 };
static const struct uint_spec spec_memory = {
	"memory", 16, 1024 * 1024, false, 128 };
static const struct uint_spec spec_vcpu = { "vcpu", 1, 255, false, 1 };
/* JSON numbers are doubles: exact up to 2^53, which no disk reaches. */
static const struct uint_spec spec_offset = {
	"offset", 0, 1ull << 53, true, 0 };
static const struct uint_spec spec_size = { "size", 1, 1ull << 53, true, 0 };
static const struct uint_spec spec_cport = {
	"containerPort", 1, 65535, true, 0 };
static const struct uint_spec spec_hport = {
	"hostPort", 0, 65535, false, 0 };

/* where is the path of obj ("", "kernel", "ports[2]") for messages. */
static int get_uint(const cJSON *obj, const char *where,
		    const struct uint_spec *s, uint64_t *ret,
		    struct hpc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, s->key);
	const char *dot = *where ? "." : "";
	double d;

	if (!v && !s->required) {
		*ret = s->def;
		return 0;
	}
	if (!v)
		return err_set(err, -EINVAL, "%s%s%s is missing",
			       where, dot, s->key);
	d = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (d < (double)s->min || d > (double)s->max ||
	    d != (double)(uint64_t)d)
		return err_set(err, -EINVAL,
			       "%s%s%s: expected an integer from %llu to %llu",
			       where, dot, s->key,
			       (unsigned long long)s->min,
			       (unsigned long long)s->max);
	*ret = (uint64_t)d;
	return 0;
}

/* A string member; *ret points into the cJSON tree, NULL if optional. */
static int get_str(const cJSON *obj, const char *where, const char *key,
		   bool required, const char **ret, struct hpc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	const char *dot = *where ? "." : "";

	*ret = NULL;
	if (!v && !required)
		return 0;
	if (!v)
		return err_set(err, -EINVAL, "%s%s%s is missing",
			       where, dot, key);
	if (!cJSON_IsString(v))
		return err_set(err, -EINVAL, "%s%s%s: expected a string",
			       where, dot, key);
	*ret = v->valuestring;
	return 0;
}

static int parse_blob(const cJSON *root, const char *key,
		      struct podimage_blob *b, struct hpc_err *err)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
	const char *hash;
	int r;

	if (!cJSON_IsObject(o))
		return err_set(err, -EINVAL, "%s: expected an object", key);
	r = get_uint(o, key, &spec_offset, &b->offset, err);
	if (r < 0)
		return r;
	r = get_uint(o, key, &spec_size, &b->size, err);
	if (r < 0)
		return r;
	r = get_str(o, key, "sha256", true, &hash, err);
	if (r < 0)
		return r;
	if (digest_parse(hash, b->sha256) < 0)
		return err_set(err, -EINVAL,
			       "%s.sha256: expected \"sha256:\" and 64 hex digits",
			       key);
	return 0;
}

static int parse_resources(const cJSON *root, struct podimage_manifest *m,
			   struct hpc_err *err)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "resources");
	uint64_t v;
	int r;

	if (o && !cJSON_IsObject(o))
		return err_set(err, -EINVAL, "resources: expected an object");
	r = get_uint(o, "resources", &spec_memory, &v, err);
	if (r < 0)
		return r;
	m->memory = (unsigned)v;
	r = get_uint(o, "resources", &spec_vcpu, &v, err);
	if (r < 0)
		return r;
	m->vcpu = (unsigned)v;
	return 0;
}

static int parse_port(const cJSON *o, const char *where,
		      struct podimage_port *p, struct hpc_err *err)
{
	const char *proto;
	uint64_t v;
	int r;

	if (!cJSON_IsObject(o))
		return err_set(err, -EINVAL, "%s: expected an object", where);
	r = get_uint(o, where, &spec_cport, &v, err);
	if (r < 0)
		return r;
	p->container_port = (unsigned)v;
	r = get_uint(o, where, &spec_hport, &v, err);
	if (r < 0)
		return r;
	p->host_port = (unsigned)v;
	r = get_str(o, where, "protocol", false, &proto, err);
	if (r < 0)
		return r;
	if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp"))
		return err_set(err, -EINVAL,
			       "%s.protocol: expected \"tcp\" or \"udp\"", where);
	p->udp = proto && !strcmp(proto, "udp");
	return 0;
}

static int parse_ports(const cJSON *root, struct podimage_manifest *m,
		       struct hpc_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "ports");
	const cJSON *o;
	char where[32];
	int r;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return err_set(err, -EINVAL, "ports: expected an array");
	m->ports = xcalloc(cJSON_GetArraySize(a), sizeof(*m->ports));
	cJSON_ArrayForEach(o, a) {
		snprintf(where, sizeof(where), "ports[%zu]", m->n_ports);
		r = parse_port(o, where, &m->ports[m->n_ports], err);
		if (r < 0)
			return r;
		m->n_ports++;
	}
	return 0;
}

static int parse_containers(const cJSON *root, struct podimage_manifest *m,
			    struct hpc_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "containers");
	const cJSON *o;
	const char *name;
	char where[32];
	size_t i = 0;
	int r;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return err_set(err, -EINVAL, "containers: expected an array");
	cJSON_ArrayForEach(o, a) {
		snprintf(where, sizeof(where), "containers[%zu]", i++);
		if (!cJSON_IsObject(o))
			return err_set(err, -EINVAL, "%s: expected an object",
				       where);
		r = get_str(o, where, "name", true, &name, err);
		if (r < 0)
			return r;
		strv_push(&m->containers, name);
	}
	return 0;
}

/* The fields of a parsed document, in the order a reader checks them. */
static int parse_root(const cJSON *root, struct podimage_manifest *m,
		      struct hpc_err *err)
{
	const cJSON *tty;
	const char *s;
	uint64_t format;
	int r;

	if (!cJSON_IsObject(root))
		return err_set(err, -EINVAL, "expected a JSON object");
	r = get_uint(root, "", &spec_format, &format, err);
	if (r < 0)
		return r;
	if (format != PODIMAGE_FORMAT)
		return err_set(err, -EINVAL,
			       "format %llu is not supported (this hpc reads %d)",
			       (unsigned long long)format, PODIMAGE_FORMAT);
	r = get_str(root, "", "name", false, &s, err);
	if (r < 0)
		return r;
	m->name = xstrdup(s ? s : "pod");
	r = get_str(root, "", "cmdline", true, &s, err);
	if (r < 0)
		return r;
	m->cmdline = xstrdup(s);
	tty = cJSON_GetObjectItemCaseSensitive(root, "tty");
	if (tty && !cJSON_IsBool(tty))
		return err_set(err, -EINVAL, "tty: expected true or false");
	m->tty = cJSON_IsTrue(tty);
	if ((r = parse_resources(root, m, err)) < 0 ||
	    (r = parse_blob(root, "kernel", &m->kernel, err)) < 0 ||
	    (r = parse_blob(root, "initrd", &m->initrd, err)) < 0 ||
	    (r = parse_ports(root, m, err)) < 0)
		return r;
	return parse_containers(root, m, err);
}

/* Line and column (from 1) of byte pos of text, for JSON errors. */
static void text_position(const char *text, size_t pos,
			  unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int podimage_parse(const char *json, size_t len,
		   struct podimage_manifest *ret, struct hpc_err *err)
{
	struct podimage_manifest m = { 0 };
	const char *end = NULL;
	cJSON *root;
	unsigned line, col;
	int r;

	root = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!root) {
		size_t pos = end && end >= json ? (size_t)(end - json) : 0;

		text_position(json, pos < len ? pos : len, &line, &col);
		return err_set(err, -EINVAL,
			       "invalid JSON at line %u, column %u", line, col);
	}
	r = parse_root(root, &m, err);
	cJSON_Delete(root);
	if (r < 0) {
		podimage_release(&m);
		return r;
	}
	*ret = m;
	return 0;
}

void podimage_release(struct podimage_manifest *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->cmdline);
	free(m->ports);
	strv_free(m->containers);
	memset(m, 0, sizeof(*m));
}

/* Read the manifest partition up to its first NUL (or its end). */
static int manifest_load(int fd, const char *path, char **ret_buf,
			 size_t *ret_len, struct hpc_err *err)
{
	struct gpt_part part;
	char *buf, *nul;
	size_t len;
	ssize_t n;
	int r;

	r = gpt_find(fd, path, PODIMAGE_MANIFEST_PART, &part, err);
	if (r < 0)
		return r;
	len = part.size < MANIFEST_MAX ? (size_t)part.size : MANIFEST_MAX;
	buf = xmalloc(len + 1);
	n = pread(fd, buf, len, part.offset);
	if (n < 0 || (size_t)n < len) {
		free(buf);
		return err_set(err, -EIO, "'%s': cannot read the '%s' partition"
			       " (the image is truncated)", path,
			       PODIMAGE_MANIFEST_PART);
	}
	buf[len] = '\0';
	nul = memchr(buf, '\0', len + 1);
	if ((size_t)(nul - buf) == len && part.size > MANIFEST_MAX) {
		free(buf);
		return err_set(err, -EFBIG, "'%s': the manifest is larger than"
			       " %u MiB", path, MANIFEST_MAX >> 20);
	}
	*ret_buf = buf;
	*ret_len = (size_t)(nul - buf);
	return 0;
}

static int blob_check_range(const char *path, const char *what,
			    const struct podimage_blob *b, uint64_t disk_size,
			    struct hpc_err *err)
{
	if (b->offset > disk_size || b->size > disk_size - b->offset)
		return err_set(err, -EINVAL, "bad manifest in '%s': the %s"
			       " range ends past the end of the image",
			       path, what);
	return 0;
}

static int open_image(const char *path, struct stat *st, struct hpc_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s",
			       path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(err, -EINVAL, "'%s' is not a disk image file",
			       path);
	}
	return fd;
}

int podimage_read_json(const char *path, char **ret_json, size_t *ret_len,
		       struct hpc_err *err)
{
	struct stat st;
	int fd, r;

	fd = open_image(path, &st, err);
	if (fd < 0)
		return fd;
	r = manifest_load(fd, path, ret_json, ret_len, err);
	close(fd);
	return r;
}

int podimage_read(const char *path, struct podimage_manifest *ret,
		  struct hpc_err *err)
{
	struct podimage_manifest m = { 0 };
	struct stat st;
	char *json = NULL;
	size_t len = 0;
	int fd, r;

	fd = r = open_image(path, &st, err);
	if (fd < 0)
		return r;
	r = manifest_load(fd, path, &json, &len, err);
	if (r < 0)
		goto out;
	r = podimage_parse(json, len, &m, err);
	if (r < 0) {
		err_prefix(err, "bad manifest in '%s'", path);
		goto out;
	}
	r = blob_check_range(path, "kernel", &m.kernel, st.st_size, err);
	if (r == 0)
		r = blob_check_range(path, "initrd", &m.initrd, st.st_size,
				     err);
	if (r == 0)
		*ret = m;
	else
		podimage_release(&m);
out:
	free(json);
	close(fd);
	return r;
}

/* Copy size bytes at offset of in to out, hashing them into d. */
static int copy_range(int in, int out, uint64_t offset, uint64_t size,
		      uint8_t d[DIGEST_LEN])
{
	struct digest_ctx *ctx = digest_new();
	char *buf = xmalloc(COPY_CHUNK);
	ssize_t n, w;
	int r = 0;

	while (size > 0) {
		n = pread(in, buf, size < COPY_CHUNK ? size : COPY_CHUNK,
			  offset);
		if (n <= 0) {
			r = n < 0 ? -errno : -ENODATA;
			goto out;
		}
		digest_update(ctx, buf, n);
		for (w = 0; w < n;) {
			ssize_t k = write(out, buf + w, n - w);

			if (k < 0) {
				r = -errno;
				goto out;
			}
			w += k;
		}
		offset += n;
		size -= n;
	}
	digest_final(ctx, d);
out:
	free(buf);
	digest_free(ctx);
	return r;
}

int podimage_extract(const char *path, const struct podimage_blob *blob,
		     const char *what, const char *dest, struct hpc_err *err)
{
	char want[DIGEST_STR_LEN], got[DIGEST_STR_LEN];
	uint8_t d[DIGEST_LEN];
	int in, out, r;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(err, -errno, "cannot open '%s': %s",
			       path, strerror(errno));
	out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		r = err_set(err, -errno, "cannot create '%s': %s",
			    dest, strerror(errno));
		goto out;
	}
	r = copy_range(in, out, blob->offset, blob->size, d);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		err_set(err, r, "cannot copy the %s of '%s' to '%s': %s",
			what, path, dest, strerror(-r));
		goto fail;
	}
	if (memcmp(d, blob->sha256, DIGEST_LEN)) {
		digest_format(blob->sha256, want);
		digest_format(d, got);
		r = err_set(err, -EBADMSG, "the %s in '%s' does not match its"
			    " sha256 (manifest %s, image %s)",
			    what, path, want, got);
		goto fail;
	}
	goto out;
fail:
	unlink(dest);
out:
	close(in);
	return r;
}
