/*
 * certsd: per-host TLS settings from certs.d and --insecure-registry,
 * for the registry client of stage "fetch". See certsd.h.
 *
 * libcurl takes one CA bundle; to trust a host's own CAs on top of the
 * system's, the system bundle and the host's *.crt files are joined into
 * one PEM blob, made once per host.
 */
#include "certsd.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CERTS_D_DEFAULT "/etc/docker/certs.d"
#define PEM_MAX (16u << 20)

struct host_tls {
	char *host;
	struct http_tls tls;
	char *pem, *cert, *key;	/* what tls points to */
	struct host_tls *next;
};

struct certsd {
	char *root;
	char **insecure;
	pthread_mutex_t lock;
	struct host_tls *hosts;
};

struct certsd *certsd_new(const char *root, const char *const *insecure)
{
	struct certsd *c = xcalloc(1, sizeof(*c));
	const char *env = getenv("HPC_CERTS_D");

	if (!root)
		root = env && *env ? env : CERTS_D_DEFAULT;
	c->root = xstrdup(root);
	c->insecure = xcalloc(1, sizeof(char *));
	while (insecure && *insecure)
		strv_push(&c->insecure, *insecure++);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void certsd_free(struct certsd *c)
{
	struct host_tls *h, *next;

	if (!c)
		return;
	for (h = c->hosts; h; h = next) {
		next = h->next;
		free(h->host);
		free(h->pem);
		free(h->cert);
		free(h->key);
		free(h);
	}
	pthread_mutex_destroy(&c->lock);
	strv_free(c->insecure);
	free(c->root);
	free(c);
}

/* "name:port" -> "name"; a host without a port stays whole. */
static size_t name_len(const char *host)
{
	const char *colon = strrchr(host, ':');

	return colon && !strchr(colon, ']') ? (size_t)(colon - host) :
	       strlen(host);
}

bool certsd_insecure(const struct certsd *c, const char *host)
{
	size_t i, n = name_len(host);

	for (i = 0; c->insecure[i]; i++) {
		if (!strcmp(c->insecure[i], host))
			return true;
		/* An entry without a port covers every port of that name. */
		if (!strchr(c->insecure[i], ':') &&
		    strlen(c->insecure[i]) == n &&
		    !strncmp(c->insecure[i], host, n))
			return true;
	}
	return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

/* Append a file's bytes to *pem; warn and skip what cannot be read. */
static void append_file(char **pem, size_t *len, const char *path)
{
	struct hpc_err err = { .msg = "" };
	char *buf = NULL;
	size_t n = 0;

	if (read_file(path, PEM_MAX, &buf, &n, &err) < 0) {
		log_warn("%s, ignoring", err.msg);
		return;
	}
	*pem = xrealloc(*pem, *len + n + 2);
	memcpy(*pem + *len, buf, n);
	*len += n;
	(*pem)[(*len)++] = '\n';
	(*pem)[*len] = '\0';
	free(buf);
}

/* The bundle libcurl would trust by default, or NULL if it has none. */
static char *system_bundle(void)
{
	CURL *h = curl_easy_init();
	char *path = NULL, *r = NULL;

	if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &path) == CURLE_OK &&
	    path)
		r = xstrdup(path);
	curl_easy_cleanup(h);
	return r;
}

/* *.crt join the trusted CAs; X.cert with X.key is the client's pair. */
static void scan_dir(struct host_tls *t, const char *dir, char **pem,
		     size_t *len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *path, *key;

	while (d && (e = readdir(d))) {
		path = xasprintf("%s/%s", dir, e->d_name);
		if (has_suffix(e->d_name, ".crt")) {
			append_file(pem, len, path);
		} else if (has_suffix(e->d_name, ".cert") && !t->cert) {
			key = xasprintf("%.*s.key", (int)(strlen(path) - 5),
					path);
			if (access(key, R_OK) == 0) {
				t->cert = path;
				t->key = key;
				path = NULL;
			} else {
				log_warn("'%s' has no '%s' beside it, ignoring",
					 path, key);
				free(key);
			}
		}
		free(path);
	}
	if (d)
		closedir(d);
}

/* certs.d names a directory HOST:PORT, or HOST for the default port. */
static char *host_dir(const char *root, const char *host)
{
	char *dir = xasprintf("%s/%s", root, host);

	if (access(dir, F_OK) == 0)
		return dir;
	free(dir);
	dir = xasprintf("%s/%.*s", root, (int)name_len(host), host);
	if (access(dir, F_OK) == 0)
		return dir;
	free(dir);
	return NULL;
}

static struct host_tls *load_host(struct certsd *c, const char *host)
{
	struct host_tls *t = xcalloc(1, sizeof(*t));
	char *dir = host_dir(c->root, host), *bundle, *pem = NULL;
	size_t len = 0;

	t->host = xstrdup(host);
	t->tls.insecure = certsd_insecure(c, host);
	if (dir) {
		log_debug("using the certificates in '%s'", dir);
		bundle = system_bundle();
		if (bundle)
			append_file(&pem, &len, bundle);
		free(bundle);
		scan_dir(t, dir, &pem, &len);
	}
	t->pem = pem;
	t->tls.ca_pem = pem;
	t->tls.ca_len = len;
	t->tls.cert = t->cert;
	t->tls.key = t->key;
	free(dir);
	return t;
}

const struct http_tls *certsd_tls(struct certsd *c, const char *host)
{
	struct host_tls *t;

	pthread_mutex_lock(&c->lock);
	for (t = c->hosts; t; t = t->next)
		if (!strcmp(t->host, host))
			break;
	if (!t) {
		t = load_host(c, host);
		t->next = c->hosts;
		c->hosts = t;
	}
	pthread_mutex_unlock(&c->lock);
	return &t->tls;
}
