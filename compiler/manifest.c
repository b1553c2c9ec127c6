/*
 * manifest: OCI and Docker schema 2 manifests, indexes and configs,
 * parsed with cJSON, and the selection of a manifest by tag or platform.
 * Part of stage "fetch". See manifest.h.
 */
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "limit.h"

struct media_type {
	const char *name;
	enum manifest_class class;
};

static const struct media_type media_types[] = {
	{ "application/vnd.oci.image.index.v1+json", MT_INDEX },
	{ "application/vnd.docker.distribution.manifest.list.v2+json",
	  MT_INDEX },
	{ "application/vnd.oci.image.manifest.v1+json", MT_MANIFEST },
	{ "application/vnd.docker.distribution.manifest.v2+json",
	  MT_MANIFEST },
	{ "application/vnd.docker.distribution.manifest.v1+json", MT_SCHEMA1 },
	{ "application/vnd.docker.distribution.manifest.v1+prettyjws",
	  MT_SCHEMA1 },
	{ "application/vnd.oci.image.config.v1+json", MT_CONFIG },
	{ "application/vnd.docker.container.image.v1+json", MT_CONFIG },
	{ "application/vnd.oci.image.layer.v1.tar", MT_LAYER },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", MT_LAYER },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", MT_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar",
	  MT_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	  MT_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	  MT_LAYER },
	{ "application/vnd.docker.image.rootfs.diff.tar", MT_LAYER },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", MT_LAYER },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	  MT_LAYER },
};

/* Architecture names that tools other than Go's use. */
static const struct {
	const char *alias, *name;
} arch_aliases[] = {
	{ "x86_64", "amd64" },
	{ "x86-64", "amd64" },
	{ "aarch64", "arm64" },
	{ "i386", "386" },
	{ "i686", "386" },
	{ "armhf", "arm" },
};

static const char ref_name_key[] = "org.opencontainers.image.ref.name";
static const char ref_type_key[] = "vnd.docker.reference.type";

enum manifest_class manifest_class_of(const char *media_type)
{
	static const char enc[] = "+encrypted";
	size_t i, n;

	if (!media_type)
		return MT_UNKNOWN;
	for (i = 0; i < ARRAY_SIZE(media_types); i++)
		if (!strcmp(media_types[i].name, media_type))
			return media_types[i].class;
	n = strlen(media_type);
	if (n > strlen(enc) && !strcmp(media_type + n - strlen(enc), enc))
		return MT_ENCRYPTED;
	return MT_UNKNOWN;
}

int manifest_check_digest(const char *digest, struct hpc_err *err)
{
	const char *colon = strchr(digest, ':');
	uint8_t d[DIGEST_LEN];

	if (digest_parse(digest, d) == 0)
		return 0;
	if (colon && colon != digest && strncmp(digest, "sha256:", 7) != 0)
		return err_set(err, -ENOTSUP,
			       "digest algorithm '%.*s' is not supported (only sha256)",
			       (int)(colon - digest), digest);
	return err_set(err, -EINVAL, "malformed digest '%s'", digest);
}

static const char *arch_name(const char *arch)
{
	size_t i;

	for (i = 0; arch && i < ARRAY_SIZE(arch_aliases); i++)
		if (!strcmp(arch, arch_aliases[i].alias))
			return arch_aliases[i].name;
	return arch;
}

/* A member that must be a string when present; *ret is NULL if absent. */
static int get_string(const cJSON *obj, const char *key, const char *what,
		      char **ret, struct hpc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*ret = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return err_set(err, -EINVAL, "%s: '%s' is not a string", what,
			       key);
	*ret = xstrdup(v->valuestring);
	return 0;
}

static void desc_release(struct manifest_desc *d)
{
	free(d->media_type);
	free(d->ref_name);
	free(d->os);
	free(d->arch);
	free(d->variant);
	memset(d, 0, sizeof(*d));
}

static int parse_platform(const cJSON *obj, struct manifest_desc *d,
			  const char *what, struct hpc_err *err)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "platform");
	int rc;

	if (!p || cJSON_IsNull(p))
		return 0;
	if (!cJSON_IsObject(p))
		return err_set(err, -EINVAL, "%s: 'platform' is not an object",
			       what);
	rc = get_string(p, "os", what, &d->os, err);
	if (rc == 0)
		rc = get_string(p, "architecture", what, &d->arch, err);
	if (rc == 0)
		rc = get_string(p, "variant", what, &d->variant, err);
	return rc;
}

static int parse_annotations(const cJSON *obj, struct manifest_desc *d,
			     const char *what, struct hpc_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "annotations");
	char *type = NULL;
	int rc;

	if (!a || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsObject(a))
		return err_set(err, -EINVAL,
			       "%s: 'annotations' is not an object", what);
	rc = get_string(a, ref_name_key, what, &d->ref_name, err);
	if (rc == 0)
		rc = get_string(a, ref_type_key, what, &type, err);
	d->attestation = type != NULL;
	free(type);
	return rc;
}

static int parse_desc(const cJSON *obj, const char *what,
		      struct manifest_desc *d, struct hpc_err *err)
{
	const cJSON *dg = cJSON_GetObjectItemCaseSensitive(obj, "digest");
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(obj, "size");
	int rc;

	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(obj))
		return err_set(err, -EINVAL, "%s is not an object", what);
	if (!cJSON_IsString(dg))
		return err_set(err, -EINVAL, "%s has no 'digest'", what);
	rc = manifest_check_digest(dg->valuestring, err);
	if (rc < 0) {
		err_prefix(err, "%s", what);
		return rc;
	}
	memcpy(d->digest, dg->valuestring, DIGEST_STR_LEN);
	if (!cJSON_IsNumber(sz) || sz->valuedouble < 0 ||
	    sz->valuedouble > 9007199254740992.0 ||
	    sz->valuedouble != (double)(uint64_t)sz->valuedouble)
		return err_set(err, -EINVAL, "%s has no valid 'size'", what);
	d->size = (uint64_t)sz->valuedouble;
	rc = get_string(obj, "mediaType", what, &d->media_type, err);
	if (rc == 0)
		rc = parse_platform(obj, d, what, err);
	if (rc == 0)
		rc = parse_annotations(obj, d, what, err);
	if (rc < 0)
		desc_release(d);
	return rc;
}

/* An array of descriptors; key names the member, what the document. */
static int parse_descs(const cJSON *root, const char *key,
		       struct manifest_desc **ret, size_t *ret_n,
		       struct hpc_err *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
	const cJSON *it;
	size_t n = 0;
	char what[64];
	int rc;

	if (!cJSON_IsArray(arr))
		return err_set(err, -EINVAL, "no '%s' array", key);
	*ret = xcalloc((size_t)cJSON_GetArraySize(arr), sizeof(**ret));
	cJSON_ArrayForEach(it, arr) {
		snprintf(what, sizeof(what), "%s[%zu]", key, n);
		rc = parse_desc(it, what, &(*ret)[n], err);
		if (rc < 0)
			return rc;
		*ret_n = ++n;
	}
	return 0;
}

/* The document's own mediaType, else the descriptor's, else its shape. */
static enum manifest_class doc_class(const cJSON *root, const char *mt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root,
							  "schemaVersion");

	if (cJSON_IsNumber(v) && v->valueint == 1)
		return MT_SCHEMA1;
	if (mt)
		return manifest_class_of(mt);
	if (cJSON_GetObjectItemCaseSensitive(root, "manifests"))
		return MT_INDEX;
	if (cJSON_GetObjectItemCaseSensitive(root, "config") &&
	    cJSON_GetObjectItemCaseSensitive(root, "layers"))
		return MT_MANIFEST;
	return MT_UNKNOWN;
}

static int parse_image_manifest(const cJSON *root, struct manifest *m,
				struct hpc_err *err)
{
	int rc, n;

	rc = parse_desc(cJSON_GetObjectItemCaseSensitive(root, "config"),
			"config", &m->config, err);
	if (rc < 0)
		return rc;
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root,
								 "layers"));
	if (n > 0 && (uint64_t)n > limits.layers)
		return limit_exceeded(err, -E2BIG, &limits.layers,
				      (uint64_t)n, "layers");
	return parse_descs(root, "layers", &m->layers, &m->n_layers, err);
}

int manifest_parse(const char *buf, size_t len, const char *desc_type,
		   struct manifest **ret, struct hpc_err *err)
{
	struct manifest *m = xcalloc(1, sizeof(*m));
	cJSON *root = cJSON_ParseWithLength(buf, len);
	int rc;

	if (!cJSON_IsObject(root)) {
		rc = err_set(err, -EINVAL, root ?
			     "manifest is not a JSON object" :
			     "manifest is not valid JSON");
		goto out;
	}
	rc = get_string(root, "mediaType", "manifest", &m->media_type, err);
	if (rc < 0)
		goto out;
	m->kind = doc_class(root, m->media_type ? m->media_type : desc_type);
	switch (m->kind) {
	case MT_INDEX:
		rc = parse_descs(root, "manifests", &m->manifests,
				 &m->n_manifests, err);
		break;
	case MT_MANIFEST:
		rc = parse_image_manifest(root, m, err);
		break;
	case MT_SCHEMA1:
		rc = err_set(err, -ENOTSUP,
			     "Docker schema 1 manifests are not supported; convert the image to schema 2 or OCI first (skopeo copy --format v2s2)");
		break;
	default:
		rc = err_set(err, -EINVAL,
			     "not an image manifest or index (media type '%s')",
			     m->media_type ? m->media_type :
			     desc_type ? desc_type : "none");
		break;
	}
	if (rc < 0 && rc != -ENOTSUP && m->kind != MT_UNKNOWN)
		err_prefix(err, "manifest");
out:
	cJSON_Delete(root);
	if (rc < 0)
		manifest_free(m);
	else
		*ret = m;
	return rc;
}

void manifest_free(struct manifest *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_layers; i++)
		desc_release(&m->layers[i]);
	for (i = 0; i < m->n_manifests; i++)
		desc_release(&m->manifests[i]);
	desc_release(&m->config);
	free(m->layers);
	free(m->manifests);
	free(m->media_type);
	free(m);
}

/* Append "a, b, c" style items to a bounded list for a message. */
static void list_add(char *list, size_t size, const char *item)
{
	size_t n = strlen(list);

	if (strstr(list, item))
		return;
	snprintf(list + n, size - n, "%s%s", n ? ", " : "", item);
}

static bool platform_matches(const struct manifest_desc *d, const char *os,
			     const char *arch)
{
	return d->os && d->arch && !strcmp(d->os, os) &&
	       !strcmp(arch_name(d->arch), arch_name(arch));
}

static bool candidate(const struct manifest_desc *d, const char *tag)
{
	if (d->attestation)
		return false;
	return !tag || (d->ref_name && !strcmp(d->ref_name, tag));
}

static int select_error(const struct manifest *m, const char *tag,
			const char *os, const char *arch, size_t found,
			struct hpc_err *err)
{
	char list[512] = "", plat[128];
	const struct manifest_desc *d;
	size_t i;

	for (i = 0; i < m->n_manifests; i++) {
		d = &m->manifests[i];
		if (!found && tag && d->ref_name)
			list_add(list, sizeof(list), d->ref_name);
		if ((found || !tag) && candidate(d, tag) && d->os && d->arch) {
			snprintf(plat, sizeof(plat), "%s/%s%s%s", d->os,
				 d->arch, d->variant ? "/" : "",
				 d->variant ? d->variant : "");
			list_add(list, sizeof(list), plat);
		}
	}
	if (!found && tag)
		return err_set(err, -ENOENT,
			       "no manifest tagged '%s' (tags: %s)", tag,
			       *list ? list : "none");
	if (!*list && tag)
		return err_set(err, -ENOENT,
			       "%zu manifests tagged '%s' and none names a platform",
			       found, tag);
	if (!*list)
		return err_set(err, -ENOENT,
			       "%zu manifests and none names a platform", found);
	return err_set(err, -ENOENT,
		       "no manifest for platform %s/%s (platforms: %s)", os,
		       arch, list);
}

int manifest_select(const struct manifest *m, const char *tag,
		    const char *os, const char *arch, size_t *ret,
		    struct hpc_err *err)
{
	size_t i, found = 0, first = 0;

	for (i = 0; i < m->n_manifests; i++) {
		if (!candidate(&m->manifests[i], tag))
			continue;
		if (!found++)
			first = i;
	}
	if (found == 1 && !m->manifests[first].os) {
		*ret = first;
		return 0;
	}
	for (i = 0; i < m->n_manifests; i++) {
		if (candidate(&m->manifests[i], tag) &&
		    platform_matches(&m->manifests[i], os, arch)) {
			*ret = i;
			return 0;
		}
	}
	return select_error(m, tag, os, arch, found, err);
}

/* An array of strings, or null; anything else is an error. */
static int get_strv(const cJSON *obj, const char *key, char ***ret,
		    struct hpc_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	char **r = NULL;

	*ret = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return err_set(err, -EINVAL,
			       "config: '%s' is not an array of strings", key);
	r = xcalloc(1, sizeof(*r));
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it)) {
			strv_free(r);
			return err_set(err, -EINVAL,
				       "config: '%s' is not an array of strings",
				       key);
		}
		strv_push(&r, it->valuestring);
	}
	*ret = r;
	return 0;
}

/* A string member where "" means unset, as Docker writes it. */
static int get_opt_string(const cJSON *obj, const char *key, char **ret,
			  struct hpc_err *err)
{
	int rc = get_string(obj, key, "config", ret, err);

	if (rc == 0 && *ret && !**ret) {
		free(*ret);
		*ret = NULL;
	}
	return rc;
}

static int parse_process(const cJSON *cfg, struct image_config *c,
			 struct hpc_err *err)
{
	int rc;

	if (!cfg || cJSON_IsNull(cfg))
		return 0;
	if (!cJSON_IsObject(cfg))
		return err_set(err, -EINVAL, "config: 'config' is not an object");
	rc = get_strv(cfg, "Env", &c->env, err);
	if (rc == 0)
		rc = get_strv(cfg, "Entrypoint", &c->entrypoint, err);
	if (rc == 0)
		rc = get_strv(cfg, "Cmd", &c->cmd, err);
	if (rc == 0)
		rc = get_opt_string(cfg, "WorkingDir", &c->working_dir, err);
	if (rc == 0)
		rc = get_opt_string(cfg, "User", &c->user, err);
	if (rc == 0)
		rc = get_opt_string(cfg, "StopSignal", &c->stop_signal, err);
	return rc;
}

static int parse_diff_ids(const cJSON *root, char ***ret,
			  struct hpc_err *err)
{
	const cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(root, "rootfs");
	char **ids = NULL;
	size_t i;
	int rc;

	if (!cJSON_IsObject(rootfs))
		return err_set(err, -EINVAL, "config: no 'rootfs' object");
	rc = get_strv(rootfs, "diff_ids", &ids, err);
	if (rc == 0 && !ids)
		rc = err_set(err, -EINVAL, "config: no 'rootfs.diff_ids'");
	for (i = 0; rc == 0 && ids[i]; i++) {
		rc = manifest_check_digest(ids[i], err);
		if (rc < 0)
			err_prefix(err, "config: rootfs.diff_ids[%zu]", i);
	}
	if (rc < 0)
		strv_free(ids);
	else
		*ret = ids;
	return rc;
}

int manifest_parse_config(const char *buf, size_t len,
			  struct image_config *ret_config,
			  char ***ret_diff_ids, struct hpc_err *err)
{
	struct image_config c = { 0 };
	cJSON *root = cJSON_ParseWithLength(buf, len);
	char **ids = NULL;
	int rc;

	if (!cJSON_IsObject(root)) {
		rc = err_set(err, -EINVAL, root ? "config is not a JSON object" :
			     "config is not valid JSON");
		goto out;
	}
	rc = parse_process(cJSON_GetObjectItemCaseSensitive(root, "config"),
			   &c, err);
	if (rc < 0)
		goto out;
	rc = parse_diff_ids(root, &ids, err);
	if (rc < 0)
		goto out;
	*ret_config = c;
	*ret_diff_ids = ids;
	memset(&c, 0, sizeof(c));
out:
	manifest_config_release(&c);
	cJSON_Delete(root);
	return rc;
}

void manifest_config_release(struct image_config *c)
{
	if (!c)
		return;
	strv_free(c->env);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	free(c->working_dir);
	free(c->user);
	free(c->stop_signal);
	memset(c, 0, sizeof(*c));
}
