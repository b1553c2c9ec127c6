/*
 * transport_docker: docker://NAME for stage "fetch": tag -> manifest (or
 * index -> manifest, by platform) -> config -> layers, each from the
 * cache when it is there and from the registry when not. See
 * transport_docker.h.
 *
 * A tag is asked of the registry every time (tags move); what it named
 * is recorded in the cache's reference index for --offline. Manifests
 * and blobs named by digest are immutable, so a cached copy is used
 * without asking. Layers download three at a time.
 */
#include "transport_docker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "diffid.h"
#include "manifest.h"
#include "progress.h"
#include "refindex.h"
#include "registry.h"

#define DOC_MAX (4u << 20)
#define MAX_DEPTH 8
#define PARALLEL 3

struct fetch {
	const struct image_opts *opts;
	const char *cache;
	struct docker_ref ref;
	struct registry *reg;	/* opened when first needed */
	struct progress *progress;
	volatile int stop;	/* a layer failed: the others give up */
};

/* The registry client, opened now if it is not yet. */
static int need_registry(struct fetch *f, const char *what,
			 struct hpc_err *err)
{
	struct registry_opts ro = {
		.insecure = f->opts->insecure_registries,
	};

	if (f->reg)
		return 0;
	if (f->opts->offline)
		return err_set(err, -ENOENT,
			       "offline, and the cache '%s' lacks %s",
			       f->cache, what);
	return registry_open(f->ref.domain, f->ref.repo, &ro, &f->reg, err);
}

/* A cached document, read whole and checked against its digest again. */
static int read_cached(const struct fetch *f, const char *digest,
		       char **ret_buf, size_t *ret_len, struct hpc_err *err)
{
	char *path = cache_blob_path(f->cache, digest), *buf = NULL;
	char got[DIGEST_STR_LEN];
	uint8_t sum[DIGEST_LEN];
	size_t len;
	int rc;

	rc = read_file(path, DOC_MAX, &buf, &len, err);
	if (rc < 0)
		goto out;
	digest_buf(buf, len, sum);
	digest_format(sum, got);
	if (strcmp(got, digest) != 0) {
		rc = err_set(err, -EBADMSG, "cached '%s' does not match its digest",
			     path);
		goto out;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	free(path);
	return rc;
}

/* Put bytes into the cache; expected NULL takes whatever they hash to. */
static int cache_bytes(const struct fetch *f, const char *buf, size_t len,
		       const char *expected, char ret[DIGEST_STR_LEN],
		       struct hpc_err *err)
{
	struct cache_writer *w = NULL;
	int rc;

	rc = cache_writer_new(f->cache, &w, err);
	if (rc == 0)
		rc = cache_writer_write(w, buf, len, err);
	if (rc == 0) {
		cache_writer_digest(w, ret);
		rc = cache_writer_commit(w, expected, err);
	}
	cache_writer_free(w);
	return rc;
}

/* A manifest or index by digest: the cache's copy, else the registry's. */
static int get_manifest(struct fetch *f, const char *digest, char **ret_buf,
			size_t *ret_len, struct hpc_err *err)
{
	char got[DIGEST_STR_LEN], *what, *type = NULL;
	int rc;

	if (cache_has(f->cache, digest))
		return read_cached(f, digest, ret_buf, ret_len, err);
	what = xasprintf("manifest %s", digest);
	rc = need_registry(f, what, err);
	free(what);
	if (rc == 0)
		rc = registry_get_manifest(f->reg, digest, DOC_MAX, ret_buf,
					   ret_len, &type, err);
	free(type);
	if (rc < 0)
		return rc;
	rc = cache_bytes(f, *ret_buf, *ret_len, digest, got, err);
	if (rc < 0) {
		err_prefix(err, "manifest %s", digest);
		free(*ret_buf);
		*ret_buf = NULL;
	}
	return rc;
}

/* The manifest the tag names now, or named at the last pull (offline). */
static int get_tagged(struct fetch *f, char digest[DIGEST_STR_LEN],
		      char **ret_type, char **ret_buf, size_t *ret_len,
		      struct hpc_err *err)
{
	int rc;

	if (f->opts->offline) {
		rc = refindex_get(f->cache, f->ref.name, digest, ret_type,
				  err);
		if (rc == -ENOENT)
			return err_set(err, -ENOENT,
				       "offline, and '%s' was never pulled into the cache '%s' (hpc pull fetches it)",
				       f->ref.name, f->cache);
		return rc < 0 ? rc : get_manifest(f, digest, ret_buf, ret_len,
						  err);
	}
	rc = need_registry(f, "", err);
	if (rc == 0)
		rc = registry_get_manifest(f->reg, f->ref.tag, DOC_MAX, ret_buf,
					   ret_len, ret_type, err);
	if (rc < 0)
		return rc;
	rc = cache_bytes(f, *ret_buf, *ret_len, NULL, digest, err);
	if (rc == 0)
		rc = refindex_put(f->cache, f->ref.name, digest, *ret_type,
				  err);
	return rc;
}

/* The first document: by digest when the reference has one. */
static int get_top(struct fetch *f, char digest[DIGEST_STR_LEN],
		   char **ret_type, char **ret_buf, size_t *ret_len,
		   struct hpc_err *err)
{
	*ret_type = NULL;
	if (!f->ref.digest)
		return get_tagged(f, digest, ret_type, ret_buf, ret_len, err);
	memcpy(digest, f->ref.digest, DIGEST_STR_LEN);
	return get_manifest(f, digest, ret_buf, ret_len, err);
}

static void add_platform(char *list, size_t size,
			 const struct manifest_desc *d)
{
	size_t n = strlen(list);

	if (d->attestation || !d->os || !d->arch)
		return;
	snprintf(list + n, size - n, "%s%s/%s%s%s", n ? ", " : "", d->os,
		 d->arch, d->variant ? "/" : "", d->variant ? d->variant : "");
}

static bool same_platform(const struct manifest_desc *d,
			  const struct manifest_desc *c, const char *variant)
{
	return !d->attestation && d->os && d->arch && d->variant &&
	       !strcmp(d->os, c->os) && !strcmp(d->arch, c->arch) &&
	       !strcmp(d->variant, variant);
}

/* manifest_select, then the variant among entries of that os/arch. */
static int pick_platform(const struct fetch *f, const struct manifest *m,
			 size_t *ret, struct hpc_err *err)
{
	const char *v = f->opts->variant;
	const struct manifest_desc *c;
	char list[512] = "";
	size_t i, pick = 0;
	int rc;

	rc = manifest_select(m, NULL, f->opts->os, f->opts->arch, &pick, err);
	if (rc < 0)
		return rc;
	c = &m->manifests[pick];
	if (!v || !*v || !c->os || !c->arch) {
		*ret = pick;
		return 0;
	}
	for (i = 0; i < m->n_manifests; i++) {
		if (same_platform(&m->manifests[i], c, v)) {
			*ret = i;
			return 0;
		}
	}
	for (i = 0; i < m->n_manifests; i++)
		add_platform(list, sizeof(list), &m->manifests[i]);
	return err_set(err, -ENOENT,
		       "no manifest for platform %s/%s/%s (platforms: %s)",
		       f->opts->os, f->opts->arch, v, list);
}

/* One level down an index: the chosen entry's digest, size and type. */
static int descend(struct fetch *f, const struct manifest *idx,
		   const char *idx_digest, char digest[DIGEST_STR_LEN],
		   char **type, uint64_t *size, struct hpc_err *err)
{
	const struct manifest_desc *d;
	size_t pick = 0;
	int rc;

	rc = pick_platform(f, idx, &pick, err);
	if (rc < 0) {
		err_prefix(err, "index %s", idx_digest);
		return rc;
	}
	d = &idx->manifests[pick];
	memcpy(digest, d->digest, DIGEST_STR_LEN);
	free(*type);
	*type = d->media_type ? xstrdup(d->media_type) : NULL;
	*size = d->size;
	return 0;
}

/* Follow indexes, by platform, down to an image manifest. */
static int resolve(struct fetch *f, char *buf, size_t len, char *type,
		   char digest[DIGEST_STR_LEN], struct manifest **ret,
		   struct hpc_err *err)
{
	struct manifest *m = NULL;
	uint64_t size;
	int rc = 0, depth;

	for (depth = 0; depth < MAX_DEPTH; depth++) {
		rc = manifest_parse(buf, len, type, &m, err);
		if (rc < 0) {
			err_prefix(err, "manifest %s", digest);
			break;
		}
		if (m->kind == MT_MANIFEST)
			break;
		rc = descend(f, m, digest, digest, &type, &size, err);
		manifest_free(m);
		m = NULL;
		free(buf);
		buf = NULL;
		if (rc == 0)
			rc = get_manifest(f, digest, &buf, &len, err);
		if (rc == 0 && len != size)
			rc = err_set(err, -EBADMSG,
				     "manifest %s has %zu bytes, its index says %llu",
				     digest, len, (unsigned long long)size);
		if (rc < 0)
			break;
	}
	if (rc == 0 && !m)
		rc = err_set(err, -ELOOP, "indexes nested deeper than %d",
			     MAX_DEPTH);
	if (rc == 0)
		*ret = m;
	else
		manifest_free(m);
	free(buf);
	free(type);
	return rc;
}

/* One blob to bring into the cache, and what became of it. */
struct job {
	struct fetch *f;
	const struct manifest_desc *d;
	const char *diff_id;	/* NULL for the config */
	char *what;		/* "layer 2", "config" */
	int line;		/* its progress line */
	struct cache_writer *w;
	struct hpc_err err;
	int rc;
};

static int job_begin(void *arg, struct hpc_err *err)
{
	struct job *j = arg;

	cache_writer_free(j->w);
	j->w = NULL;
	progress_update(j->f->progress, j->line, 0);
	return cache_writer_new(j->f->cache, &j->w, err);
}

static int job_write(void *arg, const void *buf, size_t len,
		     struct hpc_err *err)
{
	struct job *j = arg;
	int rc;

	if (j->f->stop)
		return err_set(err, -ECANCELED, "cancelled");
	rc = cache_writer_write(j->w, buf, len, err);
	progress_update(j->f->progress, j->line, cache_writer_size(j->w));
	return rc;
}

/* Download one blob; it is renamed into the cache only once verified. */
static int download(struct job *j)
{
	const struct registry_sink sink = {
		.begin = job_begin, .write = job_write, .arg = j,
	};
	char *label = xasprintf("%s %.19s", j->what, j->d->digest);
	int rc;

	j->line = progress_add(j->f->progress, label, j->d->size);
	rc = registry_get_blob(j->f->reg, j->d->digest, j->d->size, &sink,
			       &j->err);
	if (rc == 0)
		rc = cache_writer_commit(j->w, j->d->digest, &j->err);
	progress_end(j->f->progress, j->line, rc == 0 ? "done" : "failed");
	cache_writer_free(j->w);
	j->w = NULL;
	free(label);
	return rc;
}

static void run_job(struct job *j)
{
	int rc = 0;

	if (!cache_has(j->f->cache, j->d->digest))
		rc = download(j);
	if (rc == 0 && j->diff_id)
		rc = diffid_verify(j->f->cache, j->d->digest, j->diff_id,
				   &j->err);
	j->rc = rc;
	if (rc < 0)
		j->f->stop = 1;
}

struct pool {
	struct job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n || p->jobs[i].f->stop)
			break;
		run_job(&p->jobs[i]);
	}
	return NULL;
}

/* Run the jobs PARALLEL at a time; the first failure, in order, wins. */
static int run_jobs(struct job *jobs, size_t n, struct hpc_err *err)
{
	struct pool p = { .jobs = jobs, .n = n };
	pthread_t t[PARALLEL];
	size_t i, started = 0;

	pthread_mutex_init(&p.lock, NULL);
	for (i = 0; i < PARALLEL && i < n; i++)
		if (pthread_create(&t[started], NULL, worker, &p) == 0)
			started++;
	if (!started)
		worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&p.lock);
	for (i = 0; i < n; i++) {
		if (jobs[i].rc < 0 && jobs[i].rc != -ECANCELED) {
			memcpy(err, &jobs[i].err, sizeof(*err));
			err_prefix(err, "%s (%s)", jobs[i].what,
				   jobs[i].d->digest);
			return jobs[i].rc;
		}
	}
	return 0;
}

static void job_release(struct job *j)
{
	free(j->what);
	cache_writer_free(j->w);
}

static int check_layer_type(const struct manifest_desc *d,
			    struct hpc_err *err)
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

/* Offline: name every blob the cache lacks, not only the first. */
static int check_offline(const struct fetch *f, const struct manifest *m,
			 struct hpc_err *err)
{
	char list[1024] = "";
	size_t i, n;
	int missing = 0;

	if (!cache_has(f->cache, m->config.digest)) {
		snprintf(list, sizeof(list), "config %s", m->config.digest);
		missing++;
	}
	for (i = 0; i < m->n_layers; i++) {
		if (cache_has(f->cache, m->layers[i].digest))
			continue;
		n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%slayer %zu %s",
			 n ? ", " : "", i + 1, m->layers[i].digest);
		missing++;
	}
	if (!missing)
		return 0;
	return err_set(err, -ENOENT, "offline, and the cache '%s' lacks %s",
		       f->cache, list);
}

static int load_config(struct fetch *f, const struct manifest *m,
		       struct image *img, char ***ret_diff_ids,
		       struct hpc_err *err)
{
	struct job j = { .f = f, .d = &m->config, .line = -1,
			 .what = xstrdup("config") };
	char *buf = NULL;
	size_t len;
	int rc;

	if (manifest_class_of(m->config.media_type) != MT_CONFIG) {
		rc = err_set(err, -ENOTSUP,
			     "not a container image (config media type '%s')",
			     m->config.media_type ? m->config.media_type :
			     "none");
		goto out;
	}
	if (!cache_has(f->cache, m->config.digest)) {
		rc = need_registry(f, "the config", err);
		if (rc == 0)
			rc = run_jobs(&j, 1, err);
		if (rc < 0)
			goto out;
	}
	rc = read_cached(f, m->config.digest, &buf, &len, err);
	if (rc == 0)
		rc = manifest_parse_config(buf, len, &img->config,
					   ret_diff_ids, err);
	if (rc < 0) {
		err_prefix(err, "config %s", m->config.digest);
		goto out;
	}
	if (strv_len(*ret_diff_ids) != m->n_layers)
		rc = err_set(err, -EINVAL,
			     "config %s lists %zu diff_ids for %zu layers",
			     m->config.digest, strv_len(*ret_diff_ids),
			     m->n_layers);
	memcpy(img->config_digest, m->config.digest, DIGEST_STR_LEN);
out:
	job_release(&j);
	free(buf);
	return rc;
}

static void fill_layer(const struct fetch *f, const struct manifest_desc *d,
		       struct image_layer *l)
{
	l->path = cache_blob_path(f->cache, d->digest);
	memcpy(l->digest, d->digest, DIGEST_STR_LEN);
	l->media_type = xstrdup(d->media_type);
	l->size = d->size;
}

static int load_layers(struct fetch *f, const struct manifest *m,
		       char **diff_ids, struct image *img,
		       struct hpc_err *err)
{
	struct job *jobs = xcalloc(m->n_layers, sizeof(*jobs));
	size_t i, n = m->n_layers;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		rc = check_layer_type(&m->layers[i], err);
		if (rc < 0)
			err_prefix(err, "layer %zu", i + 1);
		else if (!cache_has(f->cache, m->layers[i].digest))
			rc = need_registry(f, "a layer", err);
		jobs[i] = (struct job){ .f = f, .d = &m->layers[i],
					.diff_id = diff_ids[i], .line = -1,
					.what = xasprintf("layer %zu", i + 1) };
	}
	if (rc == 0)
		rc = run_jobs(jobs, n, err);
	if (rc == 0) {
		img->layers = xcalloc(n, sizeof(*img->layers));
		for (i = 0; i < n; i++)
			fill_layer(f, &m->layers[i], &img->layers[i]);
		img->n_layers = n;
	}
	for (i = 0; i < n; i++)
		job_release(&jobs[i]);
	free(jobs);
	return rc;
}

int transport_docker_open(const struct image_ref *ref,
			  const struct image_opts *opts, struct image *img,
			  struct hpc_err *err)
{
	struct fetch f = { .opts = opts, .cache = opts->cache_dir };
	char digest[DIGEST_STR_LEN], *type = NULL, *buf = NULL;
	char **diff_ids = NULL;
	struct manifest *m = NULL;
	size_t len = 0;
	int rc;

	rc = ref_docker_parse(ref->path, &f.ref, err);
	if (rc < 0)
		goto out;
	rc = get_top(&f, digest, &type, &buf, &len, err);
	if (rc < 0) {
		free(buf);
		free(type);
		goto out;
	}
	/* resolve takes buf and type. */
	rc = resolve(&f, buf, len, type, digest, &m, err);
	if (rc == 0 && opts->offline)
		rc = check_offline(&f, m, err);
	if (rc < 0)
		goto out;
	f.progress = progress_new();
	rc = load_config(&f, m, img, &diff_ids, err);
	if (rc == 0)
		rc = load_layers(&f, m, diff_ids, img, err);
out:
	progress_free(f.progress);
	strv_free(diff_ids);
	manifest_free(m);
	registry_free(f.reg);
	ref_docker_release(&f.ref);
	return rc;
}
