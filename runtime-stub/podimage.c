/*
 * podimage: read and check a pod image's manifest, extract its kernel and
 * initrd. See podimage.h. A raw image is read in place; of a qcow2 only
 * the ranges needed (the GPT, the manifest, the kernel, the initrd) are
 * copied out by qemu-img, so a large image costs no more than a small
 * one and needs no scratch space of its size.
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
/* Enough of the disk's start for the GPT's header and entries. */
#define GPT_HEAD (1024 * 1024)

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
	if (cJSON_GetArraySize(a) > PODIMAGE_MAX_PORTS)
		return err_set(err, -EINVAL, "ports: %d, over the limit of %d",
			       cJSON_GetArraySize(a), PODIMAGE_MAX_PORTS);
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
	    (r = parse_ports(root, m, err)) < 0 ||
	    (r = parse_containers(root, m, err)) < 0)
		return r;
	/* what the guest is named, which inspect shows */
	r = get_str(root, "", "hostname", true, &s, err);
	if (r == 0)
		m->hostname = xstrdup(s);
	return r;
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
	free(m->hostname);
	free(m->cmdline);
	free(m->ports);
	strv_free(m->containers);
	memset(m, 0, sizeof(*m));
}

/* An image file and the disk it holds, raw or qcow2. */
struct source {
	const char *path;
	enum diskfmt fmt;
	uint64_t size;		/* of the disk */
	int fd;			/* raw: the image, open */
};

static int source_open(const char *path, struct source *src,
		       struct hpc_err *err)
{
	int r;

	src->path = path;
	src->fd = -1;
	r = diskfmt_probe(path, &src->fmt, &src->size, err);
	if (r < 0 || src->fmt != DISKFMT_RAW)
		return r;
	src->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (src->fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", path,
			       strerror(errno));
	return 0;
}

static void source_close(struct source *src)
{
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/*
 * A descriptor to read disk bytes [offset, offset + size) from, the first
 * of them at *ret_at: the image itself when raw, else a copy of the range
 * that qemu-img made in a temporary file already unlinked.
 */
static int source_range(const struct source *src, uint64_t offset,
			uint64_t size, int *ret_fd, uint64_t *ret_at,
			struct hpc_err *err)
{
	char *tmp;
	int fd, r;

	if (src->fmt == DISKFMT_RAW) {
		fd = dup(src->fd);
		if (fd < 0)
			return err_set(err, -errno, "cannot read '%s': %s",
				       src->path, strerror(errno));
		*ret_fd = fd;
		*ret_at = offset;
		return 0;
	}
	tmp = xasprintf("%s/hpc-range.XXXXXX", tmp_base());
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = err_set(err, -errno, "cannot create a file in '%s': %s",
			    tmp_base(), strerror(errno));
		goto out;
	}
	close(fd);
	r = diskfmt_read_qcow2(src->path, offset, size, tmp, ret_at, err);
	fd = r < 0 ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
	if (r == 0 && fd < 0)
		r = err_set(err, -errno, "cannot open '%s': %s", tmp,
			    strerror(errno));
	unlink(tmp);
	if (r == 0)
		*ret_fd = fd;
out:
	free(tmp);
	return r;
}

/* The partition called name, from the GPT at the disk's start. */
static int source_find(const struct source *src, const char *name,
		       struct gpt_part *ret, struct hpc_err *err)
{
	uint64_t at, head = src->size < GPT_HEAD ? src->size : GPT_HEAD;
	int fd, r;

	r = source_range(src, 0, head, &fd, &at, err);
	if (r < 0)
		return r;
	r = gpt_find(fd, src->path, name, ret, err);
	close(fd);
	return r;
}

/*
 * source_check - every partition and the backup GPT header within the
 * disk: a truncated image is refused here, before anything boots it,
 * not by the guest that misses a partition.
 */
static int source_check(const struct source *src, struct hpc_err *err)
{
	struct gpt_fit fit = {
		.size = src->size,
		.unit = src->fmt == DISKFMT_RAW ? "file" : "disk",
		.whole = src->fmt == DISKFMT_RAW,
	};
	uint64_t at, head = src->size < GPT_HEAD ? src->size : GPT_HEAD;
	int fd, r;

	r = source_range(src, 0, head, &fd, &at, err);
	if (r < 0)
		return r;
	r = gpt_check_fit(fd, src->path, &fit, err);
	close(fd);
	return r;
}

/*
 * Read the manifest partition: *ret_len bytes up to its first NUL (or its
 * end), *ret_avail bytes read in all (what follows holds the seal).
 */
static int manifest_load(const struct source *src, char **ret_buf,
			 size_t *ret_len, size_t *ret_avail,
			 struct hpc_err *err)
{
	const char *path = src->path;
	struct gpt_part part;
	char *buf = NULL, *nul;
	uint64_t at;
	size_t len;
	ssize_t n;
	int fd = -1, r;

	r = source_find(src, PODIMAGE_MANIFEST_PART, &part, err);
	if (r < 0)
		return r;
	len = part.size < MANIFEST_MAX ? (size_t)part.size : MANIFEST_MAX;
	if (part.offset > src->size || len > src->size - part.offset)
		return err_set(err, -EIO, "'%s': the '%s' partition ends past"
			       " the end of the image (the image is"
			       " truncated)", path, PODIMAGE_MANIFEST_PART);
	r = source_range(src, part.offset, len, &fd, &at, err);
	if (r < 0)
		return r;
	buf = xmalloc(len + 1);
	n = pread(fd, buf, len, (off_t)at);
	close(fd);
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
	*ret_avail = len;
	return 0;
}

void podimage_seal(const char *json, size_t len,
		   char ret[PODIMAGE_SEAL_LEN + 1])
{
	uint8_t sum[DIGEST_LEN];

	digest_buf(json, len, sum);
	digest_format(sum, ret);
	ret[PODIMAGE_SEAL_LEN - 1] = '\n';
	ret[PODIMAGE_SEAL_LEN] = '\0';
}

/*
 * seal_check - the seal after the JSON's NUL in buf (all of the bytes
 * read, NUL-terminated at avail) is the JSON's own SHA-256.
 */
static int seal_check(const char *buf, size_t len, size_t avail,
		      struct hpc_err *err)
{
	char want[PODIMAGE_SEAL_LEN + 1];

	podimage_seal(buf, len, want);
	if (avail >= len + 1 + PODIMAGE_SEAL_LEN &&
	    !memcmp(buf + len + 1, want, PODIMAGE_SEAL_LEN))
		return 0;
	/* only NULs after the JSON: written before manifests were sealed */
	if (avail == len || !buf[len + 1])
		return err_set(err, -EBADMSG, "the manifest has no sha256 "
			       "after it (an image from an older hpc: build it "
			       "again)");
	return err_set(err, -EBADMSG, "the manifest does not match the "
		       "sha256 stored after it (the image is damaged)");
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

/*
 * manifest_read - the one reader that run and inspect share: the disk
 * checked whole, the manifest read, parsed and checked field by field,
 * then against its seal, and the kernel's and initrd's ranges within the
 * disk. Fills *ret_m and the text in *ret_json, *ret_len.
 */
static int manifest_read(const char *path, struct source *src,
			 struct podimage_manifest *ret_m, char **ret_json,
			 size_t *ret_len, struct hpc_err *err)
{
	struct podimage_manifest m = { 0 };
	char *json = NULL;
	size_t len = 0, avail = 0;
	int r;

	r = source_check(src, err);
	if (r == 0)
		r = manifest_load(src, &json, &len, &avail, err);
	if (r < 0)
		return r;
	r = podimage_parse(json, len, &m, err);
	if (r == 0)
		r = seal_check(json, len, avail, err);
	if (r < 0)
		err_prefix(err, "bad manifest in '%s'", path);
	if (r == 0)
		r = blob_check_range(path, "kernel", &m.kernel, src->size, err);
	if (r == 0)
		r = blob_check_range(path, "initrd", &m.initrd, src->size, err);
	if (r < 0) {
		podimage_release(&m);
		free(json);
		return r;
	}
	m.format = src->fmt;
	*ret_m = m;
	*ret_json = json;
	*ret_len = len;
	return 0;
}

int podimage_read_json(const char *path, char **ret_json, size_t *ret_len,
		       struct hpc_err *err)
{
	struct podimage_manifest m;
	struct source src;
	int r;

	r = source_open(path, &src, err);
	if (r == 0)
		r = manifest_read(path, &src, &m, ret_json, ret_len, err);
	if (r == 0)
		podimage_release(&m);
	source_close(&src);
	return r;
}

int podimage_read(const char *path, struct podimage_manifest *ret,
		  struct hpc_err *err)
{
	struct source src;
	char *json = NULL;
	size_t len;
	int r;

	r = source_open(path, &src, err);
	if (r == 0)
		r = manifest_read(path, &src, ret, &json, &len, err);
	free(json);
	source_close(&src);
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
	struct source src;
	uint64_t at;
	int in = -1, out, r;

	r = source_open(path, &src, err);
	if (r == 0)
		r = source_range(&src, blob->offset, blob->size, &in, &at,
				 err);
	source_close(&src);
	if (r < 0)
		return r;
	out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		r = err_set(err, -errno, "cannot create '%s': %s",
			    dest, strerror(errno));
		goto out;
	}
	r = copy_range(in, out, at, blob->size, d);
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
