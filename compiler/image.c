/*
 * image: stage "fetch" for one image reference: parse it, pick its
 * transport, and let the transport fill in a verified config and layers.
 * See image.h.
 */
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "docker_archive.h"
#include "job.h"
#include "manifest.h"
#include "oci_archive.h"
#include "oci_layout.h"
#include "ref.h"
#include "transport_docker.h"
#include "transport_rootfs.h"

struct transport_ops {
	int (*open)(const struct image_ref *ref, const struct image_opts *opts,
		    struct image *img, struct hpc_err *err);
	bool needs_cache;	/* copies blobs out of an archive */
};

static const struct transport_ops transport_ops[] = {
	[REF_OCI] = { .open = oci_layout_open, .needs_cache = false },
	[REF_DOCKER_ARCHIVE] = { .open = docker_archive_open,
				 .needs_cache = true },
	[REF_DOCKER] = { .open = transport_docker_open, .needs_cache = true },
	[REF_OCI_ARCHIVE] = { .open = oci_archive_open, .needs_cache = true },
	[REF_DIR] = { .open = transport_dir_open, .needs_cache = false },
	[REF_TAR] = { .open = transport_tar_open, .needs_cache = false },
};

/* Options with their defaults filled in; cache_dir may be allocated. */
static int resolve_opts(const struct image_opts *in, bool needs_cache,
			struct image_opts *out, char **ret_cache,
			struct hpc_err *err)
{
	*out = in ? *in : (struct image_opts){ 0 };
	*ret_cache = NULL;
	if (!out->os || !*out->os)
		out->os = "linux";
	if (!out->arch || !*out->arch)
		out->arch = "amd64";
	if (out->cache_dir && *out->cache_dir)
		return 0;
	out->cache_dir = *ret_cache = cache_default_dir();
	if (!needs_cache || out->cache_dir)
		return 0;
	return err_set(err, -EINVAL,
		       "no cache directory: set XDG_CACHE_HOME or HOME, or give one");
}

int image_open(const char *ref, const struct image_opts *opts,
	       struct image **ret, struct hpc_err *err)
{
	struct image_ref r = { 0 };
	const struct transport_ops *ops;
	struct image_opts o;
	struct image *img = xcalloc(1, sizeof(*img));
	char *cache = NULL;
	int rc;

	img->ref = xstrdup(ref);
	rc = ref_parse(ref, &r, err);
	if (rc < 0)
		goto out;
	ops = &transport_ops[r.transport];
	rc = resolve_opts(opts, ops->needs_cache, &o, &cache, err);
	if (rc == 0 && ops->needs_cache)
		rc = cache_init(o.cache_dir, err);
	if (rc == 0)
		rc = ops->open(&r, &o, img, err);
	if (rc == 0 && !o.defer_layer_digests)
		rc = image_verify_finish(image_verify_start(img), err);
	if (rc < 0) {
		err_prefix(err, "image '%s'", ref);
		goto out;
	}
	*ret = img;
	img = NULL;
out:
	image_free(img);
	ref_release(&r);
	free(cache);
	return rc;
}

/* The pending digests of one image, checked in order. */
struct image_verify {
	const struct image *img;
	struct job job;
	int rc;
	struct hpc_err err;
};

static void *verify_run(void *arg)
{
	struct image_verify *v = arg;
	const struct image_layer *ly;

	for (size_t i = 0; v->rc == 0 && i < v->img->n_layers; i++) {
		ly = &v->img->layers[i];
		if (!ly->digest_pending)
			continue;
		v->rc = oci_layout_verify_blob(ly->path, ly->digest, &v->err);
		if (v->rc < 0)
			err_prefix(&v->err, "layer %s", ly->digest);
	}
	return NULL;
}

struct image_verify *image_verify_start(const struct image *img)
{
	struct image_verify *v = xcalloc(1, sizeof(*v));
	size_t i;

	v->img = img;
	for (i = 0; i < img->n_layers && !img->layers[i].digest_pending; i++)
		;
	if (i < img->n_layers)
		job_start(&v->job, verify_run, v);
	return v;
}

int image_verify_finish(struct image_verify *v, struct hpc_err *err)
{
	int rc;

	job_wait(&v->job);
	rc = v->rc;
	if (rc < 0)
		*err = v->err;
	free(v);
	return rc;
}

void image_free(struct image *img)
{
	size_t i;

	if (!img)
		return;
	for (i = 0; i < img->n_layers; i++) {
		free(img->layers[i].path);
		free(img->layers[i].media_type);
	}
	free(img->layers);
	manifest_config_release(&img->config);
	free(img->ref);
	free(img);
}
