/*
 * docker_archive: the docker-archive:FILE[:REF] transport of stage
 * "fetch". See docker_archive.h.
 *
 * manifest.json usually comes last in the tar, so the archive is read in
 * passes: one for manifest.json and the links between entries, one for
 * the config, one for the layers. Passes over a plain tar skip entry data
 * by seeking, so they cost little beside the one copy of each layer.
 */
#include "docker_archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <cJSON.h>

#include "cache.h"
#include "limit.h"
#include "manifest.h"
#include "tarscan.h"

#define DOC_MAX (4u << 20)
#define MAX_LINKS 8
#define COPY_BUF (1u << 16)

/* An entry that is a symlink or hardlink to another entry. */
struct da_link {
	char *name;
	char *target;		/* resolved to a path inside the archive */
};

struct da {
	const char *file;
	const char *cache;
	const struct image_opts *opts;
	char *manifest;		/* manifest.json, NULL when absent */
	size_t manifest_len;
	bool has_repositories;	/* a pre-1.10 "docker save" */
	struct da_link *links;
	size_t n_links;
};

/* One file to copy out of the archive into the cache. */
struct da_want {
	const char *name;		/* entry path, links resolved */
	const char *what;		/* "config", "layer 2", for messages */
	char expected[DIGEST_STR_LEN];	/* from the file name, or "" */
	const char *diff_id;		/* a layer's rootfs.diff_ids entry */
	char got[DIGEST_STR_LEN];	/* "" until it is in the cache */
	bool compressed;
};

struct layer_kind {
	uint8_t magic[4];
	size_t len;
	const char *media_type;
	bool compressed;
};

static const struct layer_kind layer_kinds[] = {
	{ { 0x1f, 0x8b }, 2, "application/vnd.docker.image.rootfs.diff.tar.gzip",
	  true },
	{ { 0x28, 0xb5, 0x2f, 0xfd }, 4,
	  "application/vnd.oci.image.layer.v1.tar+zstd", true },
	{ { 0 }, 0, "application/vnd.docker.image.rootfs.diff.tar", false },
};

static const struct layer_kind *layer_kind_of(const uint8_t *head, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(layer_kinds); i++)
		if (n >= layer_kinds[i].len &&
		    !memcmp(head, layer_kinds[i].magic, layer_kinds[i].len))
			return &layer_kinds[i];
	return &layer_kinds[ARRAY_SIZE(layer_kinds) - 1];
}

/* A symlink's target as a path from the archive's root. */
static char *join_link(const char *link, const char *target)
{
	const char *slash = strrchr(link, '/');
	char *joined, *out, *tok, *save = NULL, *p;
	size_t len = 0, n;

	if (target[0] == '/' || !slash)
		joined = xstrdup(target);
	else
		joined = xasprintf("%.*s/%s", (int)(slash - link), link,
				   target);
	out = xcalloc(strlen(joined) + 2, 1);
	for (tok = strtok_r(joined, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			p = strrchr(out, '/');
			len = p ? (size_t)(p - out) : 0;
			out[len] = '\0';
			continue;
		}
		n = strlen(tok);
		if (len)
			out[len++] = '/';
		memcpy(out + len, tok, n + 1);
		len += n;
	}
	free(joined);
	return out;
}

/* Follow links from name to the entry that holds the bytes. */
static const char *da_resolve(const struct da *da, const char *name)
{
	size_t i, hops;

	for (hops = 0; hops < MAX_LINKS; hops++) {
		for (i = 0; i < da->n_links; i++)
			if (!strcmp(da->links[i].name, name))
				break;
		if (i == da->n_links)
			return name;
		name = da->links[i].target;
	}
	return name;
}

static void da_add_link(struct da *da, const char *name, char *target)
{
	da->links = xreallocarray(da->links, da->n_links + 1,
				  sizeof(*da->links));
	da->links[da->n_links].name = xstrdup(name);
	da->links[da->n_links].target = target;
	da->n_links++;
}

/* Pass 1: manifest.json, and which entries are links to which. */
static int visit_index(struct archive *a, struct archive_entry *e,
		       const char *name, void *arg, struct hpc_err *err)
{
	struct da *da = arg;
	const char *sym = archive_entry_symlink(e);
	const char *hard = archive_entry_hardlink(e);

	if (sym)
		da_add_link(da, name, join_link(name, sym));
	else if (hard)
		da_add_link(da, name, xstrdup(tarscan_name(hard)));
	else if (!strcmp(name, "repositories"))
		da->has_repositories = true;
	else if (!strcmp(name, "manifest.json") && !da->manifest)
		return tarscan_read_all(a, da->file, name, DOC_MAX,
					&da->manifest, &da->manifest_len,
					err);
	return 0;
}

static void da_release(struct da *da)
{
	size_t i;

	for (i = 0; i < da->n_links; i++) {
		free(da->links[i].name);
		free(da->links[i].target);
	}
	free(da->links);
	free(da->manifest);
}

/* "HEX", "HEX.json", "HEX.tar", "sha256:HEX": a name that is a digest. */
static bool name_digest(const char *path, char ret[DIGEST_STR_LEN])
{
	const char *base = strrchr(path, '/');
	char d[DIGEST_STR_LEN];
	uint8_t sum[DIGEST_LEN];

	base = base ? base + 1 : path;
	if (!strncmp(base, "sha256:", 7))
		base += 7;
	if (strlen(base) < 64 || (base[64] && base[64] != '.'))
		return false;
	snprintf(d, sizeof(d), "sha256:%.64s", base);
	if (digest_parse(d, sum) < 0)
		return false;
	memcpy(ret, d, DIGEST_STR_LEN);
	return true;
}

static bool tag_matches(const cJSON *item, const char *want)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(item, "RepoTags");
	const cJSON *t;
	char *a = ref_docker_normalize(want), *b;
	bool match = false;

	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t) || match)
			continue;
		b = ref_docker_normalize(t->valuestring);
		match = !strcmp(a, b);
		free(b);
	}
	free(a);
	return match;
}

static int pick_error(const cJSON *root, const char *want,
		      struct hpc_err *err)
{
	const cJSON *item, *t;
	char list[512] = "";
	size_t n;

	cJSON_ArrayForEach(item, root) {
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(
					      item, "RepoTags")) {
			n = strlen(list);
			if (cJSON_IsString(t))
				snprintf(list + n, sizeof(list) - n, "%s%s",
					 n ? ", " : "", t->valuestring);
		}
	}
	if (!*want)
		return err_set(err, -ENOENT,
			       "the archive holds %d images; name one (tags: %s)",
			       cJSON_GetArraySize(root), *list ? list : "none");
	return err_set(err, -ENOENT, "no image tagged '%s' in the archive (tags: %s)",
		       want, *list ? list : "none");
}

/* The entry of manifest.json that want names: "", "@N" or a tag. */
static int da_pick(const cJSON *root, const char *want, const cJSON **ret,
		   struct hpc_err *err)
{
	int n = cJSON_GetArraySize(root);
	const cJSON *item;
	char *end;
	unsigned long i;

	if (!*want && n == 1) {
		*ret = cJSON_GetArrayItem(root, 0);
		return 0;
	}
	if (want[0] == '@') {
		errno = 0;
		i = strtoul(want + 1, &end, 10);
		if (errno || end == want + 1 || *end || i >= (unsigned long)n)
			return err_set(err, -ENOENT,
				       "no image '%s' in the archive (it holds %d)",
				       want, n);
		*ret = cJSON_GetArrayItem(root, (int)i);
		return 0;
	}
	cJSON_ArrayForEach(item, root) {
		if (*want && tag_matches(item, want)) {
			*ret = item;
			return 0;
		}
	}
	return pick_error(root, want, err);
}

/* Config path and layer paths of one manifest.json entry. */
static int da_entry(const cJSON *item, char **ret_config, char ***ret_layers,
		    struct hpc_err *err)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(item, "Config");
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(item, "Layers");
	const cJSON *l;
	char **v = xcalloc(1, sizeof(*v));

	if (!cJSON_IsString(cfg) || !cJSON_IsArray(layers)) {
		strv_free(v);
		return err_set(err, -EINVAL,
			       "manifest.json: an image has no 'Config' or 'Layers'");
	}
	if ((uint64_t)cJSON_GetArraySize(layers) > limits.layers) {
		strv_free(v);
		return limit_exceeded(err, -E2BIG, &limits.layers,
				      (uint64_t)cJSON_GetArraySize(layers),
				      "manifest.json: layers");
	}
	cJSON_ArrayForEach(l, layers) {
		if (!cJSON_IsString(l)) {
			strv_free(v);
			return err_set(err, -EINVAL,
				       "manifest.json: 'Layers' holds a non-string");
		}
		strv_push(&v, tarscan_name(l->valuestring));
	}
	*ret_config = xstrdup(tarscan_name(cfg->valuestring));
	*ret_layers = v;
	return 0;
}

static int da_parse_manifest(const struct da *da, const char *want,
			     char **ret_config, char ***ret_layers,
			     struct hpc_err *err)
{
	cJSON *root = NULL;
	const cJSON *item = NULL;
	int rc;

	if (!da->manifest) {
		rc = err_set(err, -ENOTSUP, da->has_repositories ?
			     "no manifest.json: archives saved by Docker before 1.10 are not supported" :
			     "no manifest.json: not a docker save archive");
		goto out;
	}
	root = cJSON_ParseWithLength(da->manifest, da->manifest_len);
	if (!root)
		rc = err_set(err, -EINVAL, "manifest.json is not valid JSON");
	else if (cJSON_IsNull(root))
		rc = err_set(err, -EINVAL, "manifest.json is null");
	else if (!cJSON_IsArray(root))
		rc = err_set(err, -EINVAL, "manifest.json is not an array");
	else if (cJSON_GetArraySize(root) == 0)
		rc = err_set(err, -EINVAL, "manifest.json lists no images");
	else
		rc = da_pick(root, want, &item, err);
	if (rc == 0)
		rc = da_entry(item, ret_config, ret_layers, err);
out:
	cJSON_Delete(root);
	return rc;
}

/* Whether bytes with digest got may stand for want (see da_commit). */
static int da_check(const struct da_want *w, const char *got,
		    struct hpc_err *err)
{
	if (*w->expected && strcmp(got, w->expected) != 0)
		return err_set(err, -EBADMSG,
			       "%s ('%s'): digest mismatch (got %s, its name says %s)",
			       w->what, w->name, got, w->expected);
	if (w->diff_id && !w->compressed && strcmp(got, w->diff_id) != 0)
		return err_set(err, -EBADMSG,
			       "%s ('%s'): digest mismatch (got %s, the config's diff_id is %s)",
			       w->what, w->name, got, w->diff_id);
	return 0;
}

/* Copy the current entry into the cache, keeping it only if it checks. */
static int da_copy(struct archive *a, const struct da *da, struct da_want *w,
		   struct hpc_err *err)
{
	struct cache_writer *cw = NULL;
	char *buf = xmalloc(COPY_BUF), got[DIGEST_STR_LEN];
	bool first = true;
	la_ssize_t n;
	int rc;

	rc = cache_writer_new(da->cache, &cw, err);
	while (rc == 0 && (n = archive_read_data(a, buf, COPY_BUF)) != 0) {
		if (n < 0) {
			rc = tarscan_err(a, da->file, err);
			break;
		}
		if (first)
			w->compressed = layer_kind_of((uint8_t *)buf,
						      (size_t)n)->compressed;
		first = false;
		rc = cache_writer_write(cw, buf, (size_t)n, err);
	}
	if (rc < 0)
		goto out;
	cache_writer_digest(cw, got);
	rc = da_check(w, got, err);
	if (rc == 0)
		rc = cache_writer_commit(cw, got, err);
	if (rc == 0)
		memcpy(w->got, got, DIGEST_STR_LEN);
out:
	if (rc < 0 && rc != -EBADMSG)
		err_prefix(err, "%s ('%s')", w->what, w->name);
	cache_writer_free(cw);
	free(buf);
	return rc;
}

struct da_pass {
	const struct da *da;
	struct da_want *wants;
	size_t n_wants;
};

/* Passes 2 and 3: copy each wanted entry that is not in the cache yet. */
static int visit_copy(struct archive *a, struct archive_entry *e,
		      const char *name, void *arg, struct hpc_err *err)
{
	struct da_pass *p = arg;
	struct da_want *w, *done = NULL;
	size_t i;
	int rc;

	for (i = 0; i < p->n_wants; i++) {
		w = &p->wants[i];
		if (*w->got || strcmp(w->name, name) != 0)
			continue;
		if (done) {
			/* The same entry used twice: check it again. */
			w->compressed = done->compressed;
			rc = da_check(w, done->got, err);
			if (rc < 0)
				return rc;
			memcpy(w->got, done->got, DIGEST_STR_LEN);
			continue;
		}
		rc = da_copy(a, p->da, w, err);
		if (rc < 0)
			return rc;
		done = w;
	}
	return 0;
}

static int da_copy_wants(const struct da *da, struct da_want *wants,
			 size_t n, struct hpc_err *err)
{
	struct da_pass p = { .da = da, .wants = wants, .n_wants = n };
	size_t i, missing = 0;
	int rc;

	for (i = 0; i < n; i++)
		missing += !*wants[i].got;
	if (!missing)
		return 0;
	rc = tarscan_each(da->file, visit_copy, &p, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (!*wants[i].got)
			return err_set(err, -ENOENT,
				       "%s: '%s' is not in the archive",
				       wants[i].what, wants[i].name);
	return 0;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * An archive has no index to choose a platform from: the config says
 * which one its image is for, and another one is refused, naming it.
 */
static int da_check_platform(const char *buf, size_t len,
			     const struct image_opts *opts,
			     struct hpc_err *err)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const char *os = json_str(root, "os");
	const char *arch = json_str(root, "architecture");
	const char *variant = json_str(root, "variant");
	int rc = 0;

	if (os && arch && (strcmp(os, opts->os) || strcmp(arch, opts->arch) ||
			   (opts->variant && variant &&
			    strcmp(variant, opts->variant))))
		rc = err_set(err, -ENOENT,
			     "the image is for %s/%s%s%s, not %s/%s%s%s (choose it with --platform %s/%s%s%s)",
			     os, arch, variant ? "/" : "",
			     variant ? variant : "", opts->os, opts->arch,
			     opts->variant ? "/" : "",
			     opts->variant ? opts->variant : "", os, arch,
			     variant ? "/" : "", variant ? variant : "");
	cJSON_Delete(root);
	return rc;
}

static int da_load_config(const struct da *da, const char *name,
			  struct image *img, char ***ret_diff_ids,
			  struct hpc_err *err)
{
	struct da_want w = { .name = da_resolve(da, name), .what = "config" };
	char *path = NULL, *buf = NULL;
	size_t len;
	int rc;

	/* Docker names the config by its digest, which is the image ID. */
	if (!name_digest(name, w.expected))
		name_digest(w.name, w.expected);
	if (*w.expected && cache_has(da->cache, w.expected))
		memcpy(w.got, w.expected, DIGEST_STR_LEN);
	rc = da_copy_wants(da, &w, 1, err);
	if (rc < 0)
		goto out;
	path = cache_blob_path(da->cache, w.got);
	rc = read_file(path, DOC_MAX, &buf, &len, err);
	if (rc == 0)
		rc = da_check_platform(buf, len, da->opts, err);
	if (rc == 0)
		rc = manifest_parse_config(buf, len, &img->config,
					   ret_diff_ids, err);
	if (rc < 0) {
		err_prefix(err, "config %s ('%s')", w.got, name);
		goto out;
	}
	memcpy(img->config_digest, w.got, DIGEST_STR_LEN);
out:
	free(buf);
	free(path);
	return rc;
}

/* The first bytes of a blob tell a compressed layer from a plain tar. */
static const struct layer_kind *sniff_file(const char *path)
{
	uint8_t head[4] = { 0 };
	FILE *f = fopen(path, "rbe");
	size_t n = 0;

	if (f) {
		n = fread(head, 1, sizeof(head), f);
		fclose(f);
	}
	return layer_kind_of(head, n);
}

/*
 * A compressed layer that no file name vouches for is checked by the
 * digest of its decompressed bytes, which the config lists.
 */
static int verify_diff_id(const char *path, const struct da_want *w,
			  struct hpc_err *err)
{
	struct archive *a = archive_read_new();
	struct digest_ctx *ctx = digest_new();
	struct archive_entry *e;
	char *buf = xmalloc(COPY_BUF), got[DIGEST_STR_LEN];
	uint8_t sum[DIGEST_LEN];
	la_ssize_t n = 0;
	int rc = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, COPY_BUF) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		rc = tarscan_err(a, path, err);
		goto out;
	}
	while ((n = archive_read_data(a, buf, COPY_BUF)) > 0)
		digest_update(ctx, buf, (size_t)n);
	if (n < 0) {
		rc = tarscan_err(a, path, err);
		goto out;
	}
	digest_final(ctx, sum);
	digest_format(sum, got);
	if (strcmp(got, w->diff_id) != 0)
		rc = err_set(err, -EBADMSG,
			     "%s ('%s'): uncompressed digest mismatch (got %s, the config's diff_id is %s)",
			     w->what, w->name, got, w->diff_id);
out:
	archive_read_free(a);
	digest_free(ctx);
	free(buf);
	return rc;
}

static int da_fill_layer(const struct da *da, struct da_want *w,
			 struct image_layer *l, struct hpc_err *err)
{
	char *path = cache_blob_path(da->cache, w->got);
	const struct layer_kind *k = sniff_file(path);
	struct stat st;
	int rc;

	w->compressed = k->compressed;
	rc = da_check(w, w->got, err);
	if (rc == 0 && k->compressed && !*w->expected)
		rc = verify_diff_id(path, w, err);
	if (rc == 0 && stat(path, &st) < 0)
		rc = err_set(err, -errno, "cannot stat '%s': %s", path,
			     strerror(errno));
	if (rc < 0) {
		free(path);
		return rc;
	}
	l->path = path;
	memcpy(l->digest, w->got, DIGEST_STR_LEN);
	l->media_type = xstrdup(k->media_type);
	l->size = (uint64_t)st.st_size;
	return 0;
}

static void want_layer(const struct da *da, const char *name,
		       const char *diff_id, char *what, struct da_want *w)
{
	const char *reuse;

	w->name = da_resolve(da, name);
	w->what = what;
	w->diff_id = diff_id;
	if (!name_digest(name, w->expected))
		name_digest(w->name, w->expected);
	/* A blob already cached under the digest we expect was verified. */
	reuse = *w->expected ? w->expected : diff_id;
	if (cache_has(da->cache, reuse))
		memcpy(w->got, reuse, DIGEST_STR_LEN);
}

static int da_load_layers(const struct da *da, char **layers,
			  char **diff_ids, struct image *img,
			  struct hpc_err *err)
{
	size_t i, n = strv_len(layers);
	struct da_want *wants = xcalloc(n, sizeof(*wants));
	char **whats = xcalloc(n + 1, sizeof(*whats));
	int rc = 0;

	if (strv_len(diff_ids) != n) {
		rc = err_set(err, -EINVAL,
			     "config lists %zu diff_ids for %zu layers",
			     strv_len(diff_ids), n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		whats[i] = xasprintf("layer %zu", i);
		want_layer(da, layers[i], diff_ids[i], whats[i], &wants[i]);
	}
	rc = da_copy_wants(da, wants, n, err);
	if (rc < 0)
		goto out;
	img->layers = xcalloc(n, sizeof(*img->layers));
	for (i = 0; i < n; i++) {
		rc = da_fill_layer(da, &wants[i], &img->layers[i], err);
		if (rc < 0)
			goto out;
		img->n_layers = i + 1;
	}
out:
	strv_free(whats);
	free(wants);
	return rc;
}

int docker_archive_open(const struct image_ref *ref,
			const struct image_opts *opts, struct image *img,
			struct hpc_err *err)
{
	struct da da = { .file = ref->path, .cache = opts->cache_dir,
			 .opts = opts };
	char *config = NULL, **layers = NULL, **diff_ids = NULL;
	int rc;

	/* Pass 1: which image, and which entries are links. */
	rc = tarscan_each(da.file, visit_index, &da, err);
	if (rc < 0)
		goto out;
	rc = da_parse_manifest(&da, ref->tag, &config, &layers, err);
	if (rc < 0)
		goto out;
	/* Pass 2: the config, which tells what the layers must hash to. */
	rc = da_load_config(&da, config, img, &diff_ids, err);
	if (rc < 0)
		goto out;
	/* Pass 3: the layers that the cache does not hold yet. */
	rc = da_load_layers(&da, layers, diff_ids, img, err);
out:
	strv_free(diff_ids);
	strv_free(layers);
	free(config);
	da_release(&da);
	return rc;
}
