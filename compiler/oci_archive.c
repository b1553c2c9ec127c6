/*
 * oci_archive: the oci-archive:FILE[:TAG] transport. See oci_archive.h.
 *
 * The first pass over the tar keeps oci-layout and index.json in memory
 * and copies every small blob that starts like a JSON document into the
 * cache (manifests, indexes and configs; which is which is not known
 * yet, and a layer is a tar or compressed). The
 * manifest chain and config are then resolved from the cache, which is
 * laid out like a layout's blobs. The layers of an uncompressed archive
 * are then verified where they lie, by the offsets its headers give, and
 * read from there; a compressed archive has a second pass that copies
 * the chosen image's layers the cache lacks. Nothing else is copied.
 */
#include "oci_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "cache.h"
#include "manifest.h"
#include "oci_layout.h"
#include "tarindex.h"
#include "tarscan.h"

#define DOC_MAX (4u << 20)
#define COPY_BUF (1u << 16)
#define BLOB_DIR "blobs/sha256/"

struct oa {
	const char *file;
	const char *cache;
	char *layout;		/* oci-layout, NULL when absent */
	char *index;		/* index.json, NULL when absent */
	size_t layout_len, index_len;
	const struct manifest *want;	/* pass two: the layers to copy */
};

/* The digest a blob's entry name gives, or false for other entries. */
static bool blob_digest(const char *name, char ret[DIGEST_STR_LEN])
{
	uint8_t sum[DIGEST_LEN];

	if (strncmp(name, BLOB_DIR, strlen(BLOB_DIR)) != 0)
		return false;
	snprintf(ret, DIGEST_STR_LEN, "sha256:%s", name + strlen(BLOB_DIR));
	return strlen(name + strlen(BLOB_DIR)) == 64 &&
	       digest_parse(ret, sum) == 0;
}

/* Whether a blob's first bytes start a JSON object, as documents do. */
static bool looks_like_json(const char *buf, size_t n)
{
	size_t i = 0;

	while (i < n && strchr(" \t\r\n", buf[i]))
		i++;
	return i < n && buf[i] == '{';
}

/*
 * Copy the current entry into the cache under the digest it must have;
 * with docs_only, only when it looks like a JSON document.
 */
static int copy_blob(struct archive *a, const struct oa *oa, const char *name,
		     const char *digest, bool docs_only, struct hpc_err *err)
{
	struct cache_writer *cw = NULL;
	char *buf = xmalloc(COPY_BUF);
	bool first = true;
	la_ssize_t n;
	int rc;

	rc = cache_writer_new(oa->cache, &cw, err);
	while (rc == 0 && (n = archive_read_data(a, buf, COPY_BUF)) != 0) {
		if (n < 0) {
			rc = tarscan_err(a, oa->file, err);
			break;
		}
		if (first && docs_only && !looks_like_json(buf, (size_t)n))
			goto out;
		first = false;
		rc = cache_writer_write(cw, buf, (size_t)n, err);
	}
	if (rc == 0)
		rc = cache_writer_commit(cw, digest, err);
	if (rc < 0)
		err_prefix(err, "'%s'", name);
out:
	cache_writer_free(cw);
	free(buf);
	return rc;
}

static bool is_wanted_layer(const struct manifest *m, const char *digest)
{
	size_t i;

	for (i = 0; i < m->n_layers; i++)
		if (!strcmp(m->layers[i].digest, digest))
			return true;
	return false;
}

/* Pass one: the two documents, and the small blobs. */
static int visit_docs(struct archive *a, struct archive_entry *e,
		      const char *name, void *arg, struct hpc_err *err)
{
	struct oa *oa = arg;
	char d[DIGEST_STR_LEN];

	if (archive_entry_filetype(e) != AE_IFREG)
		return 0;
	if (!strcmp(name, "oci-layout") && !oa->layout)
		return tarscan_read_all(a, oa->file, name, DOC_MAX,
					&oa->layout, &oa->layout_len, err);
	if (!strcmp(name, "index.json") && !oa->index)
		return tarscan_read_all(a, oa->file, name, DOC_MAX,
					&oa->index, &oa->index_len, err);
	if (!blob_digest(name, d) || cache_has(oa->cache, d) ||
	    archive_entry_size(e) > DOC_MAX)
		return 0;
	return copy_blob(a, oa, name, d, true, err);
}

/* Pass two: the chosen image's layers that the cache lacks. */
static int visit_layers(struct archive *a, struct archive_entry *e,
			const char *name, void *arg, struct hpc_err *err)
{
	struct oa *oa = arg;
	char d[DIGEST_STR_LEN];

	if (archive_entry_filetype(e) != AE_IFREG || !blob_digest(name, d) ||
	    cache_has(oa->cache, d) || !is_wanted_layer(oa->want, d))
		return 0;
	return copy_blob(a, oa, name, d, false, err);
}

static int check_layout(const struct oa *oa, struct hpc_err *err)
{
	cJSON *root;
	const cJSON *v;
	int rc = 0;

	if (!oa->index)
		return err_set(err, -EINVAL,
			       "no index.json: not an OCI layout archive");
	if (!oa->layout)
		return err_set(err, -EINVAL,
			       "no oci-layout: not an OCI layout archive");
	root = cJSON_ParseWithLength(oa->layout, oa->layout_len);
	v = cJSON_GetObjectItemCaseSensitive(root, "imageLayoutVersion");
	if (!cJSON_IsString(v))
		rc = err_set(err, -EINVAL, "oci-layout has no imageLayoutVersion");
	else if (strcmp(v->valuestring, "1.0.0") != 0)
		rc = err_set(err, -ENOTSUP,
			     "image layout version '%s' is not supported (only 1.0.0)",
			     v->valuestring);
	cJSON_Delete(root);
	return rc;
}

/* "manifests": null is what docker save (25 and later) writes beside its
 * manifest.json; the docker-archive transport reads that one. */
static bool null_manifests(const struct oa *oa)
{
	cJSON *root = cJSON_ParseWithLength(oa->index, oa->index_len);
	bool null = cJSON_IsNull(
		cJSON_GetObjectItemCaseSensitive(root, "manifests"));

	cJSON_Delete(root);
	return null;
}

static int parse_index(const struct oa *oa, struct manifest **ret,
		       struct hpc_err *err)
{
	int rc;

	if (null_manifests(oa))
		return err_set(err, -EINVAL,
			       "index.json lists no images (\"manifests\" is null, as docker save writes it); read the archive as docker-archive:%s",
			       oa->file);
	rc = manifest_parse(oa->index, oa->index_len,
			    "application/vnd.oci.image.index.v1+json", ret,
			    err);
	if (rc == 0 && (*ret)->kind != MT_INDEX) {
		manifest_free(*ret);
		*ret = NULL;
		rc = err_set(err, -EINVAL, "not an image index");
	}
	if (rc < 0)
		err_prefix(err, "index.json");
	return rc;
}

/* The digest of bytes [off, off + len) of fd. */
static int digest_range(int fd, uint64_t off, uint64_t len,
			char ret[DIGEST_STR_LEN])
{
	struct digest_ctx *ctx = digest_new();
	char *buf = xmalloc(COPY_BUF);
	uint8_t sum[DIGEST_LEN];
	ssize_t n = 0;
	int rc = 0;

	while (len > 0) {
		n = pread(fd, buf, len < COPY_BUF ? (size_t)len : COPY_BUF,
			  (off_t)off);
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		digest_update(ctx, buf, (size_t)n);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	digest_final(ctx, sum);
	digest_format(sum, ret);
	digest_free(ctx);
	free(buf);
	return rc;
}

/* One layer, verified as a member of the archive, used in place. */
static int layer_in_place(const struct oa *oa, int fd,
			  const struct tar_member *t,
			  const struct manifest_desc *d, struct image_layer *l,
			  struct hpc_err *err)
{
	char got[DIGEST_STR_LEN];
	int rc;

	rc = oci_layout_layer_type(d, err);
	if (rc < 0)
		return rc;
	/* a length of 0 would mean the whole archive to the reader */
	if (!t->size)
		return err_set(err, -EINVAL, "'%s' is empty, not a layer",
			       t->name);
	if (t->size != d->size)
		return err_set(err, -EBADMSG,
			       "size mismatch ('%s' has %llu bytes, expected %llu)",
			       t->name, (unsigned long long)t->size,
			       (unsigned long long)d->size);
	rc = digest_range(fd, t->offset, t->size, got);
	if (rc < 0)
		return err_set(err, rc, "cannot read '%s': %s", oa->file,
			       strerror(-rc));
	if (strcmp(got, d->digest) != 0)
		return err_set(err, -EBADMSG, "'%s': digest mismatch (got %s)",
			       t->name, got);
	l->path = xstrdup(oa->file);
	l->offset = t->offset;
	l->length = t->size;
	memcpy(l->digest, d->digest, DIGEST_STR_LEN);
	l->media_type = xstrdup(d->media_type);
	l->size = d->size;
	return 0;
}

/*
 * An uncompressed archive's layers in place: 1 when they are all there
 * as plain members, 0 when the archive must be read as a stream.
 */
static int layers_in_place(const struct oa *oa, const struct manifest *m,
			   struct image *img, struct hpc_err *err)
{
	struct tarindex ix = { 0 };
	const struct tar_member **t = xcalloc(m->n_layers + 1, sizeof(*t));
	char name[DIGEST_STR_LEN + 16];
	size_t i;
	int fd = -1, rc;

	rc = tarindex_read(oa->file, &ix, err);
	for (i = 0; rc == 0 && i < m->n_layers; i++) {
		snprintf(name, sizeof(name), BLOB_DIR "%s",
			 m->layers[i].digest + 7);
		t[i] = tarindex_find(&ix, name);
		if (!t[i])
			rc = -ENOTSUP;
	}
	if (rc == 0) {
		fd = open(oa->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			rc = err_set(err, -errno, "cannot open '%s': %s",
				     oa->file, strerror(errno));
	}
	if (rc == 0)
		img->layers = xcalloc(m->n_layers, sizeof(*img->layers));
	for (i = 0; rc == 0 && i < m->n_layers; i++) {
		rc = layer_in_place(oa, fd, t[i], &m->layers[i],
				    &img->layers[i], err);
		if (rc < 0)
			err_prefix(err, "layer %s", m->layers[i].digest);
		else
			img->n_layers = i + 1;
	}
	if (fd >= 0)
		close(fd);
	free(t);
	tarindex_release(&ix);
	if (rc == -ENOTSUP && !img->layers)
		return 0;
	return rc < 0 ? rc : 1;
}

int oci_archive_open(const struct image_ref *ref,
		     const struct image_opts *opts, struct image *img,
		     struct hpc_err *err)
{
	struct oa oa = { .file = ref->path, .cache = opts->cache_dir };
	struct manifest *idx = NULL, *m = NULL;
	int rc;

	/* Pass one: what the layout is, and every document blob. */
	rc = tarscan_each(oa.file, visit_docs, &oa, err);
	if (rc == 0)
		rc = check_layout(&oa, err);
	if (rc == 0)
		rc = parse_index(&oa, &idx, err);
	if (rc == 0)
		rc = oci_layout_pick(oa.cache, idx, ref->tag, opts, &m, err);
	if (rc < 0)
		goto out;
	rc = oci_layout_load_config(oa.cache, m, img, err);
	if (rc == 0)
		rc = layers_in_place(&oa, m, img, err);
	if (rc != 0)
		goto out;
	/* Pass two: the layers, then each verified in the cache. */
	oa.want = m;
	rc = tarscan_each(oa.file, visit_layers, &oa, err);
	if (rc == 0)
		rc = oci_layout_load_layers(oa.cache, m, false, img, err);
out:
	manifest_free(m);
	manifest_free(idx);
	free(oa.layout);
	rc = rc > 0 ? 0 : rc;
	free(oa.index);
	return rc;
}
