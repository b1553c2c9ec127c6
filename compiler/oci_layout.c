/*
 * oci_layout: the oci:DIR[:TAG] transport of stage "fetch": DIR/oci-layout,
 * DIR/index.json, then manifests, config and layers from DIR/blobs, each
 * checked against its descriptor's size and digest. See oci_layout.h.
 *
 * XXX: layers are verified where they lie and used from there, not
 * copied; a process that rewrites the layout between verification and
 * packing goes unnoticed.
 */
#include "oci_layout.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "manifest.h"

/* Limits for documents read whole; layers are never read into memory. */
#define DOC_MAX (4u << 20)
#define MAX_DEPTH 8

static int check_layout_file(const char *dir, struct hpc_err *err)
{
	char *path = xasprintf("%s/oci-layout", dir), *buf = NULL;
	const cJSON *v;
	cJSON *root = NULL;
	size_t len;
	int rc;

	rc = read_file(path, DOC_MAX, &buf, &len, err);
	if (rc < 0)
		goto out;
	root = cJSON_ParseWithLength(buf, len);
	v = cJSON_GetObjectItemCaseSensitive(root, "imageLayoutVersion");
	if (!cJSON_IsString(v))
		rc = err_set(err, -EINVAL, "'%s' has no imageLayoutVersion",
			     path);
	else if (strcmp(v->valuestring, "1.0.0") != 0)
		rc = err_set(err, -ENOTSUP,
			     "'%s': image layout version '%s' is not supported (only 1.0.0)",
			     path, v->valuestring);
out:
	cJSON_Delete(root);
	free(buf);
	free(path);
	return rc;
}

static char *blob_path(const char *dir, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
}

/* The blob file must exist and have the size its descriptor gives. */
static int check_size(const char *path, const struct manifest_desc *d,
		      struct hpc_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_set(err, -errno, "blob '%s': %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL, "blob '%s' is not a file", path);
	if ((uint64_t)st.st_size != d->size)
		return err_set(err, -EBADMSG,
			       "size mismatch ('%s' has %lld bytes, expected %llu)",
			       path, (long long)st.st_size,
			       (unsigned long long)d->size);
	return 0;
}

static int check_digest(const uint8_t sum[DIGEST_LEN],
			const struct manifest_desc *d, struct hpc_err *err)
{
	char got[DIGEST_STR_LEN];

	digest_format(sum, got);
	if (strcmp(got, d->digest) != 0)
		return err_set(err, -EBADMSG, "digest mismatch (got %s)", got);
	return 0;
}

/* Read a manifest or config blob whole and verify it. */
static int read_blob(const char *dir, const struct manifest_desc *d,
		     char **ret, size_t *ret_len, struct hpc_err *err)
{
	char *path = blob_path(dir, d->digest), *buf = NULL;
	uint8_t sum[DIGEST_LEN];
	size_t len;
	int rc;

	rc = check_size(path, d, err);
	if (rc == 0 && d->size > DOC_MAX)
		rc = err_set(err, -EFBIG, "'%s' is larger than %u bytes", path,
			     DOC_MAX);
	if (rc == 0)
		rc = read_file(path, DOC_MAX, &buf, &len, err);
	if (rc < 0)
		goto out;
	digest_buf(buf, len, sum);
	rc = len == d->size ? check_digest(sum, d, err) :
	     err_set(err, -EBADMSG, "'%s' changed while read", path);
	if (rc < 0)
		goto out;
	*ret = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	free(path);
	return rc;
}

static int read_index_json(const char *dir, struct manifest **ret,
			   struct hpc_err *err)
{
	char *path = xasprintf("%s/index.json", dir), *buf = NULL;
	struct manifest *m = NULL;
	size_t len;
	int rc;

	rc = read_file(path, DOC_MAX, &buf, &len, err);
	if (rc < 0)
		goto out;
	rc = manifest_parse(buf, len, "application/vnd.oci.image.index.v1+json",
			    &m, err);
	if (rc == 0 && m->kind != MT_INDEX)
		rc = err_set(err, -EINVAL, "not an image index");
	if (rc < 0) {
		err_prefix(err, "'%s'", path);
		goto out;
	}
	*ret = m;
	m = NULL;
out:
	manifest_free(m);
	free(buf);
	free(path);
	return rc;
}

static int load_manifest(const char *dir, const struct manifest_desc *d,
			 struct manifest **ret, struct hpc_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc;

	rc = read_blob(dir, d, &buf, &len, err);
	if (rc == 0)
		rc = manifest_parse(buf, len, d->media_type, ret, err);
	if (rc < 0)
		err_prefix(err, "manifest %s", d->digest);
	free(buf);
	return rc;
}

/* Follow descriptors through nested indexes down to an image manifest. */
static int resolve_manifest(const char *dir, const struct manifest_desc *d,
			    const struct image_opts *opts,
			    struct manifest **ret, struct hpc_err *err)
{
	struct manifest *m = NULL, *parent = NULL;
	size_t pick;
	int rc, depth;

	for (depth = 0; depth < MAX_DEPTH; depth++) {
		rc = load_manifest(dir, d, &m, err);
		if (rc < 0)
			goto out;
		if (m->kind == MT_MANIFEST) {
			*ret = m;
			m = NULL;
			goto out;
		}
		rc = manifest_select(m, NULL, opts->os, opts->arch, &pick, err);
		if (rc < 0) {
			err_prefix(err, "index %s", d->digest);
			goto out;
		}
		manifest_free(parent);
		parent = m;
		m = NULL;
		d = &parent->manifests[pick];
	}
	rc = err_set(err, -ELOOP, "indexes nested deeper than %d", MAX_DEPTH);
out:
	manifest_free(m);
	manifest_free(parent);
	return rc;
}

int oci_layout_load_config(const char *dir, const struct manifest *m,
			   struct image *img, struct hpc_err *err)
{
	const struct manifest_desc *d = &m->config;
	char *buf = NULL, **diff_ids = NULL;
	size_t len;
	int rc;

	if (manifest_class_of(d->media_type) != MT_CONFIG) {
		rc = err_set(err, -ENOTSUP,
			     "not a container image (config media type '%s')",
			     d->media_type ? d->media_type : "none");
		goto out;
	}
	rc = read_blob(dir, d, &buf, &len, err);
	if (rc == 0)
		rc = manifest_parse_config(buf, len, &img->config, &diff_ids,
					   err);
	if (rc < 0) {
		err_prefix(err, "config %s", d->digest);
		goto out;
	}
	if (strv_len(diff_ids) != m->n_layers)
		rc = err_set(err, -EINVAL,
			     "config %s lists %zu diff_ids for %zu layers",
			     d->digest, strv_len(diff_ids), m->n_layers);
	memcpy(img->config_digest, d->digest, DIGEST_STR_LEN);
out:
	strv_free(diff_ids);
	free(buf);
	return rc;
}

int oci_layout_layer_type(const struct manifest_desc *d, struct hpc_err *err)
{
	switch (manifest_class_of(d->media_type)) {
	case MT_LAYER:
		return 0;
	case MT_ENCRYPTED:
		return err_set(err, -ENOTSUP,
			       "encrypted layers are not supported ('%s')",
			       d->media_type);
	default:
		return err_set(err, -ENOTSUP,
			       "unsupported layer media type '%s'",
			       d->media_type ? d->media_type : "none");
	}
}

/*
 * Blobs this process has already verified, by file identity: containers
 * of one pod often name the same image, and one read of each blob is
 * enough for one build.
 */
struct seen_blob {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint8_t sum[DIGEST_LEN];
};

static struct seen_blob *seen;
static size_t n_seen;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static struct seen_blob *seen_find(const struct stat *st)
{
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i].dev == st->st_dev && seen[i].ino == st->st_ino &&
		    seen[i].size == st->st_size &&
		    seen[i].mtime.tv_sec == st->st_mtim.tv_sec &&
		    seen[i].mtime.tv_nsec == st->st_mtim.tv_nsec)
			return &seen[i];
	return NULL;
}

/* seen_sum - the digest of the file st describes, if already known. */
static bool seen_sum(const struct stat *st, uint8_t sum[DIGEST_LEN])
{
	struct seen_blob *b;

	pthread_mutex_lock(&seen_lock);
	b = seen_find(st);
	if (b)
		memcpy(sum, b->sum, DIGEST_LEN);
	pthread_mutex_unlock(&seen_lock);
	return b != NULL;
}

/* digest_blob - digest_file, once per file and process. */
static int digest_blob(const char *path, uint8_t sum[DIGEST_LEN],
		       struct hpc_err *err)
{
	struct seen_blob *b;
	struct stat st;
	int rc;

	if (stat(path, &st) == 0 && seen_sum(&st, sum))
		return 0;
	rc = digest_file(path, sum, err);
	if (rc < 0 || stat(path, &st) < 0)
		return rc;
	pthread_mutex_lock(&seen_lock);
	seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
	b = &seen[n_seen++];
	*b = (struct seen_blob){ .dev = st.st_dev, .ino = st.st_ino,
				 .size = st.st_size, .mtime = st.st_mtim };
	memcpy(b->sum, sum, DIGEST_LEN);
	pthread_mutex_unlock(&seen_lock);
	return 0;
}

int oci_layout_verify_blob(const char *path, const char *digest,
			   struct hpc_err *err)
{
	struct manifest_desc d = { 0 };
	uint8_t sum[DIGEST_LEN];
	int rc = digest_blob(path, sum, err);

	snprintf(d.digest, sizeof(d.digest), "%s", digest);

	return rc < 0 ? rc : check_digest(sum, &d, err);
}

/*
 * verify_layer - the layer's type and size now; its digest now too, or
 * when defer, only once the build reads it (see image_verify_start).
 */
static int verify_layer(const char *dir, const struct manifest_desc *d,
			bool defer, struct image_layer *l, struct hpc_err *err)
{
	char *path = blob_path(dir, d->digest);
	uint8_t sum[DIGEST_LEN];
	int rc;

	rc = oci_layout_layer_type(d, err);
	if (rc == 0)
		rc = check_size(path, d, err);
	if (rc == 0 && !defer)
		rc = digest_blob(path, sum, err);
	if (rc == 0 && !defer)
		rc = check_digest(sum, d, err);
	if (rc < 0) {
		err_prefix(err, "layer %s", d->digest);
		free(path);
		return rc;
	}
	l->path = path;
	memcpy(l->digest, d->digest, DIGEST_STR_LEN);
	l->media_type = xstrdup(d->media_type);
	l->size = d->size;
	l->digest_pending = defer;
	return 0;
}

int oci_layout_load_layers(const char *dir, const struct manifest *m,
			   bool defer, struct image *img, struct hpc_err *err)
{
	size_t i;
	int rc;

	img->layers = xcalloc(m->n_layers, sizeof(*img->layers));
	for (i = 0; i < m->n_layers; i++) {
		rc = verify_layer(dir, &m->layers[i], defer, &img->layers[i],
				  err);
		if (rc < 0)
			return rc;
		img->n_layers = i + 1;
	}
	return 0;
}

int oci_layout_pick(const char *dir, const struct manifest *idx,
		    const char *tag, const struct image_opts *opts,
		    struct manifest **ret, struct hpc_err *err)
{
	size_t pick = 0;
	int rc = 0;

	/* An untagged reference to a one-image layout means that image. */
	if (*tag || idx->n_manifests != 1)
		rc = manifest_select(idx, *tag ? tag : "latest", opts->os,
				     opts->arch, &pick, err);
	if (rc < 0)
		return rc;
	return resolve_manifest(dir, &idx->manifests[pick], opts, ret, err);
}

int oci_layout_load(const char *dir, const struct manifest *m, bool defer,
		    struct image *img, struct hpc_err *err)
{
	int rc;

	rc = oci_layout_load_config(dir, m, img, err);
	if (rc == 0)
		rc = oci_layout_load_layers(dir, m, defer, img, err);
	return rc;
}

int oci_layout_open(const struct image_ref *ref, const struct image_opts *opts,
		    struct image *img, struct hpc_err *err)
{
	struct manifest *idx = NULL, *m = NULL;
	int rc;

	/* A layout is only trusted as far as its marker file says. */
	rc = check_layout_file(ref->path, err);
	if (rc < 0)
		goto out;
	rc = read_index_json(ref->path, &idx, err);
	if (rc < 0)
		goto out;
	rc = oci_layout_pick(ref->path, idx, ref->tag, opts, &m, err);
	if (rc < 0)
		goto out;
	rc = oci_layout_load(ref->path, m, opts->defer_layer_digests, img, err);
out:
	manifest_free(m);
	manifest_free(idx);
	return rc;
}
