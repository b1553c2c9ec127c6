/*
 * ref: image references, split into transport, path and tag, and Docker
 * names normalised for comparison. First step of stage "fetch". See ref.h.
 */
#include "ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct transport_name {
	const char *name;
	int transport;		/* an enum ref_transport, or -1 */
};

/* Transports skopeo users know; those marked -1 come later. */
static const struct transport_name transports[] = {
	{ .name = "oci", .transport = REF_OCI },
	{ .name = "docker-archive", .transport = REF_DOCKER_ARCHIVE },
	{ .name = "docker", .transport = -1 },
	{ .name = "oci-archive", .transport = -1 },
	{ .name = "dir", .transport = -1 },
	{ .name = "tar", .transport = -1 },
};

static const struct transport_name *transport_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(transports); i++)
		if (strlen(transports[i].name) == n &&
		    memcmp(transports[i].name, s, n) == 0)
			return &transports[i];
	return NULL;
}

int ref_parse(const char *s, struct image_ref *ret, struct hpc_err *err)
{
	const struct transport_name *t = NULL;
	const char *colon = strchr(s, ':'), *rest, *sep;

	if (!*s)
		return err_set(err, -EINVAL, "empty image reference");
	if (colon)
		t = transport_find(s, (size_t)(colon - s));
	if (!t)
		return err_set(err, -ENOTSUP,
			       "image '%s': no transport given, and the registry transport (docker://) is not supported yet; use oci:DIR[:TAG] or docker-archive:FILE[:REF]",
			       s);
	if (t->transport < 0)
		return err_set(err, -ENOTSUP,
			       "image '%s': the %s transport is not supported yet",
			       s, t->name);
	rest = colon + 1;
	sep = strchr(rest, ':');
	if (sep == rest || !*rest)
		return err_set(err, -EINVAL, "image '%s': no path after '%s:'",
			       s, t->name);
	ret->transport = (enum ref_transport)t->transport;
	ret->path = sep ? xstrndup(rest, (size_t)(sep - rest)) : xstrdup(rest);
	ret->tag = xstrdup(sep ? sep + 1 : "");
	return 0;
}

void ref_release(struct image_ref *ref)
{
	if (!ref)
		return;
	free(ref->path);
	free(ref->tag);
	ref->path = ref->tag = NULL;
}

/* A first component names a registry when it looks like a host name. */
static bool is_domain(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) ||
	       (n == 9 && memcmp(s, "localhost", 9) == 0);
}

char *ref_docker_normalize(const char *name)
{
	const char *slash = strchr(name, '/'), *path = name, *last, *colon;
	const char *domain = "docker.io", *lib = "", *tag = "";
	char *dom = NULL, *r;

	if (slash && is_domain(name, (size_t)(slash - name))) {
		dom = xstrndup(name, (size_t)(slash - name));
		domain = dom;
		path = slash + 1;
	}
	if (!strcmp(domain, "index.docker.io"))
		domain = "docker.io";
	if (!strcmp(domain, "docker.io") && !strchr(path, '/'))
		lib = "library/";
	last = strrchr(path, '/');
	colon = strchr(last ? last : path, ':');
	if (!colon && !strchr(path, '@'))
		tag = ":latest";
	r = xasprintf("%s/%s%s%s", domain, lib, path, tag);
	free(dom);
	return r;
}
