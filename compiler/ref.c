/*
 * ref: image references, split into transport, path and tag, and Docker
 * names checked, split and normalised. First step of stage "fetch". See
 * ref.h.
 */
#include "ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

/* The distribution grammar's limits. */
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

struct transport_name {
	const char *name;
	enum ref_transport transport;
	bool has_tag;		/* a ':' after the path starts a tag */
};

/* Transports skopeo and podman users know, named as they name them. */
static const struct transport_name transports[] = {
	{ .name = "oci", .transport = REF_OCI, .has_tag = true },
	{ .name = "docker-archive", .transport = REF_DOCKER_ARCHIVE,
	  .has_tag = true },
	{ .name = "docker", .transport = REF_DOCKER },
	{ .name = "oci-archive", .transport = REF_OCI_ARCHIVE,
	  .has_tag = true },
	{ .name = "dir", .transport = REF_DIR },
	{ .name = "tar", .transport = REF_TAR },
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

/*
 * A registry image name, checked now so that a typo fails early; a
 * message names the reference as written, transport included.
 */
static int parse_docker(const char *name, const char *written,
			struct image_ref *ret, struct hpc_err *err)
{
	struct docker_ref d = { 0 };
	int rc;

	rc = ref_docker_parse(name, &d, err);
	if (rc < 0) {
		err_prefix(err, "image '%s'", written);
		return rc;
	}
	ref_docker_release(&d);
	ret->transport = REF_DOCKER;
	ret->path = xstrdup(name);
	ret->tag = xstrdup("");
	return 0;
}

int ref_parse(const char *s, struct image_ref *ret, struct hpc_err *err)
{
	const struct transport_name *t = NULL;
	const char *colon = strchr(s, ':'), *rest, *sep;

	if (!*s)
		return err_set(err, -EINVAL, "empty image reference");
	if (colon)
		t = transport_find(s, (size_t)(colon - s));
	/* "docker:24" is the image named docker; the transport has "//". */
	if (t && t->transport == REF_DOCKER && strncmp(colon + 1, "//", 2))
		t = NULL;
	if (!t)
		return parse_docker(s, s, ret, err);
	if (t->transport == REF_DOCKER)
		return parse_docker(colon + 3, s, ret, err);
	rest = colon + 1;
	sep = t->has_tag ? strchr(rest, ':') : NULL;
	if (sep == rest || !*rest)
		return err_set(err, -EINVAL, "image '%s': no path after '%s:'"
			       " (expected %s:PATH)", s, t->name, t->name);
	ret->transport = t->transport;
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

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
}

/* How long the separator at s is: '.', '_', '__' or a run of '-'. */
static size_t separator_len(const char *s, size_t n)
{
	size_t k = 0;

	if (s[0] == '.')
		return 1;
	if (s[0] == '_')
		return n > 1 && s[1] == '_' ? 2 : 1;
	while (k < n && s[k] == '-')
		k++;
	return k;
}

/* One path component: runs of [a-z0-9] joined by separators. */
static bool component_ok(const char *s, size_t n)
{
	size_t i = 0, sep;

	for (;;) {
		if (i == n || !is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		sep = separator_len(s + i, n - i);
		if (!sep)
			return false;
		i += sep;
	}
}

static int check_repo(const char *repo, struct hpc_err *err)
{
	const char *p = repo, *slash;
	size_t n;

	do {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (!component_ok(p, n))
			return err_set(err, -EINVAL,
				       "invalid repository name '%s' (lowercase letters, digits and '.', '_', '-' between them, components split by '/')",
				       repo);
		p = slash + 1;
	} while (slash);
	return 0;
}

/* A DNS label: letters, digits and inner '-'. */
static bool label_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!is_word(s[i]) && s[i] != '-')
			return false;
	return !memchr(s, '_', n);
}

/* HOST[:PORT], HOST being DNS labels or an IPv4 address. */
static int check_domain(const char *d, struct hpc_err *err)
{
	const char *colon = strchr(d, ':'), *p, *dot;
	const char *end = colon ? colon : d + strlen(d);
	bool ok = true;

	for (p = d; ok && p <= end; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(end - p));
		if (!dot)
			dot = end;
		ok = label_ok(p, (size_t)(dot - p));
	}
	for (p = colon ? colon + 1 : ""; ok && *p; p++)
		ok = *p >= '0' && *p <= '9';
	if (ok && colon && (!colon[1] || strlen(colon + 1) > 5))
		ok = false;
	if (!ok)
		return err_set(err, -EINVAL, "invalid registry '%s'", d);
	return 0;
}

static int check_tag(const char *tag, struct hpc_err *err)
{
	size_t i, n = strlen(tag);
	bool ok = n > 0 && n <= TAG_MAX_LEN && tag[0] != '.' && tag[0] != '-';

	for (i = 0; ok && i < n; i++)
		ok = is_word(tag[i]) || tag[i] == '.' || tag[i] == '-';
	if (!ok)
		return err_set(err, -EINVAL,
			       "invalid tag '%s' (at most %d letters, digits, '_', '.' and '-', not starting with '.' or '-')",
			       tag, TAG_MAX_LEN);
	return 0;
}

static int check_parts(const struct docker_ref *r, struct hpc_err *err)
{
	uint8_t d[DIGEST_LEN];
	int rc;

	rc = check_domain(r->domain, err);
	if (rc == 0)
		rc = check_repo(r->repo, err);
	if (rc == 0 && r->tag)
		rc = check_tag(r->tag, err);
	if (rc == 0 && r->digest && digest_parse(r->digest, d) < 0)
		rc = err_set(err, -EINVAL,
			     "invalid digest '%s' (only sha256:<64 lowercase hex digits>)",
			     r->digest);
	if (rc == 0 && strlen(r->domain) + 1 + strlen(r->repo) > NAME_MAX_LEN)
		rc = err_set(err, -EINVAL, "image name longer than %d bytes",
			     NAME_MAX_LEN);
	return rc;
}

/* Split s into the parts of r, before any check or default. */
static void split_name(const char *s, struct docker_ref *r)
{
	const char *at = strchr(s, '@'), *slash, *path, *colon;
	char *rest = at ? xstrndup(s, (size_t)(at - s)) : xstrdup(s);

	r->digest = at ? xstrdup(at + 1) : NULL;
	slash = strchr(rest, '/');
	path = rest;
	if (slash && is_domain(rest, (size_t)(slash - rest))) {
		r->domain = xstrndup(rest, (size_t)(slash - rest));
		path = slash + 1;
	} else {
		r->domain = xstrdup("docker.io");
	}
	slash = strrchr(path, '/');
	colon = strchr(slash ? slash : path, ':');
	r->tag = colon ? xstrdup(colon + 1) : NULL;
	r->repo = colon ? xstrndup(path, (size_t)(colon - path)) :
		  xstrdup(path);
	free(rest);
}

int ref_docker_parse(const char *s, struct docker_ref *ret,
		     struct hpc_err *err)
{
	struct docker_ref r = { 0 };
	char *repo;
	int rc;

	split_name(s, &r);
	/* before "library/" makes an empty name look like one */
	if (!*r.repo) {
		ref_docker_release(&r);
		return err_set(err, -EINVAL, "no repository name (expected "
			       "NAME[:TAG] such as 'busybox:1.36')");
	}
	if (!strcmp(r.domain, "index.docker.io")) {
		free(r.domain);
		r.domain = xstrdup("docker.io");
	}
	if (!strcmp(r.domain, "docker.io") && !strchr(r.repo, '/')) {
		repo = xasprintf("library/%s", r.repo);
		free(r.repo);
		r.repo = repo;
	}
	if (!r.tag && !r.digest)
		r.tag = xstrdup("latest");
	rc = check_parts(&r, err);
	if (rc < 0) {
		ref_docker_release(&r);
		return rc;
	}
	r.name = xasprintf("%s/%s%s%s%s%s", r.domain, r.repo,
			   r.tag ? ":" : "", r.tag ? r.tag : "",
			   r.digest ? "@" : "", r.digest ? r.digest : "");
	*ret = r;
	return 0;
}

void ref_docker_release(struct docker_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	free(r->name);
	memset(r, 0, sizeof(*r));
}
