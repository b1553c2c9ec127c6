/*
 * oci_archive: the oci-archive:FILE[:TAG] transport. See oci_archive.h.
 *
 * Two passes over the tar. The first keeps oci-layout and index.json in
 * memory and copies every small blob (manifests, indexes and configs are
 * among them, and which is which is not known yet) into the cache. The
 * manifest chain and config are then resolved from the cache, which is
 * laid out like a layout's blobs. The second pass copies the chosen
 * image's layers that the cache lacks; nothing else is copied.
 */
#include "oci_archive.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cache.h"
#include "manifest.h"
#include "oci_layout.h"
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

/* Copy the current entry into the cache under the digest it must have. */
static int copy_blob(struct archive *a, const struct oa *oa, const char *name,
		     const char *digest, struct hpc_err *err)
{
	struct cache_writer *cw = NULL;
	char *buf = xmalloc(COPY_BUF);
	la_ssize_t n;
	int rc;

	rc = cache_writer_new(oa->cache, &cw, err);
	while (rc == 0 && (n = archive_read_data(a, buf, COPY_BUF)) != 0) {
		if (n < 0)
			rc = tarscan_err(a, oa->file, err);
		else
			rc = cache_writer_write(cw, buf, (size_t)n, err);
	}
	if (rc == 0)
		rc = cache_writer_commit(cw, digest, err);
	if (rc < 0)
		err_prefix(err, "'%s'", name);
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
	return copy_blob(a, oa, name, d, err);
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
	return copy_blob(a, oa, name, d, err);
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
	/* Pass two: the layers, then everything verified in the cache. */
	oa.want = m;
	rc = tarscan_each(oa.file, visit_layers, &oa, err);
	if (rc == 0)
		rc = oci_layout_load(oa.cache, m, img, err);
out:
	manifest_free(m);
	manifest_free(idx);
	free(oa.layout);
	free(oa.index);
	return rc;
}
