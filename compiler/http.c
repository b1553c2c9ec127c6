/*
 * http: one HTTP exchange over libcurl, redirects followed hop by hop
 * with credentials only for their origin. Part of stage "fetch"; see
 * http.h. libcurl's codes are translated here and nowhere else.
 */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limit.h"

#define MAX_HOPS 10
#define ERROR_BODY_MAX 8192
#define CONNECT_TIMEOUT 30L

#ifndef HPC_VERSION
#define HPC_VERSION "0.1.0"
#endif

struct hop {
	CURL *h;
	const struct http_request *req;
	struct http_response *resp;
	struct hpc_err *err;
	int write_rc;		/* the write function's error, if any */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_global_init(void)
{
	pthread_once(&global_once, global_init);
}

/* scheme, host and port (the default one made explicit) of url. */
static int url_parts(const char *url, char **scheme, char **host,
		     char **port)
{
	CURLU *u = curl_url();
	int rc = -EINVAL;

	*scheme = *host = *port = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	return rc;
}

static void free_parts(char *scheme, char *host, char *port)
{
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
}

char *http_origin(const char *url)
{
	char *scheme, *host, *port, *r = NULL;

	if (url_parts(url, &scheme, &host, &port) == 0)
		r = xasprintf("%s://%s:%s", scheme, host, port);
	free_parts(scheme, host, port);
	return r;
}

char *http_host(const char *url)
{
	char *scheme, *host, *port, *r = NULL;

	if (url_parts(url, &scheme, &host, &port) == 0)
		r = xasprintf("%s:%s", host, port);
	free_parts(scheme, host, port);
	return r;
}

/* A header's value with surrounding space and the CRLF cut off. */
static char *header_value(const char *line, size_t n, size_t name_len)
{
	const char *v = line + name_len, *end = line + n;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && strchr(" \t\r\n", end[-1]))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static bool header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && !strncasecmp(line, name, k);
}

static void take_header(struct http_response *r, const char *line, size_t n)
{
	char *v, *semi, *joined;

	if (header_is(line, n, "content-type:")) {
		free(r->content_type);
		r->content_type = v = header_value(line, n, 13);
		semi = strchr(v, ';');
		while (semi && semi > v && semi[-1] == ' ')
			semi--;
		if (semi)
			*semi = '\0';
	} else if (header_is(line, n, "www-authenticate:")) {
		v = header_value(line, n, 17);
		joined = r->www_authenticate ?
			 xasprintf("%s, %s", r->www_authenticate, v) : v;
		if (joined != v)
			free(v);
		free(r->www_authenticate);
		r->www_authenticate = joined;
	} else if (header_is(line, n, "retry-after:")) {
		v = header_value(line, n, 12);
		r->retry_after = strtol(v, &semi, 10);
		if (*semi || semi == v || r->retry_after < 0)
			r->retry_after = -1;
		free(v);
	}
}

/* Every response starts afresh, interim ones (100 Continue) included. */
static void reset_response(struct http_response *r)
{
	free(r->content_type);
	free(r->www_authenticate);
	free(r->body);
	r->content_type = r->www_authenticate = r->body = NULL;
	r->body_len = 0;
	r->retry_after = -1;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct hop *hop = arg;

	if (n > 5 && !strncmp(buf, "HTTP/", 5))
		reset_response(hop->resp);
	else
		take_header(hop->resp, buf, n);
	return n * size;
}

static size_t keep_error_body(struct http_response *r, const char *buf,
			      size_t n)
{
	size_t room = ERROR_BODY_MAX - r->body_len;

	if (!r->body)
		r->body = xcalloc(1, ERROR_BODY_MAX + 1);
	if (n < room)
		room = n;
	memcpy(r->body + r->body_len, buf, room);
	r->body_len += room;
	return n;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct hop *hop = arg;
	long status = 0;

	curl_easy_getinfo(hop->h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299 || !hop->req->write)
		return keep_error_body(hop->resp, buf, n * size);
	hop->write_rc = hop->req->write(hop->req->write_arg, buf, n * size,
					hop->err);
	return hop->write_rc < 0 ? 0 : n * size;
}

static void set_auth(CURL *h, const struct http_auth *a)
{
	switch (a->kind) {
	case HTTP_AUTH_BASIC:
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, a->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, a->password);
		break;
	case HTTP_AUTH_BEARER:
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, a->token);
		break;
	case HTTP_AUTH_NONE:
		break;
	}
}

static void set_tls(CURL *h, const struct http_tls *t)
{
	struct curl_blob blob;

	if (!t)
		return;
	if (t->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (t->ca_pem) {
		blob.data = (void *)t->ca_pem;
		blob.len = t->ca_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (t->cert && t->key) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, t->key);
	}
}

/* Set h up for one hop; *headers is the caller's to free after it. */
static void setup_hop(struct hop *hop, const char *url, bool send_auth,
		      struct curl_slist **headers)
{
	const struct http_request *req = hop->req;
	char *host = http_host(url), *accept = NULL;
	CURL *h = hop->h;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hpc/" HPC_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	/* a registry that stalls, or trickles forever, ends the request */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)limits.stall_seconds);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)limits.registry_seconds);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, hop);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, hop);
	if (req->accept) {
		accept = xasprintf("Accept: %s", req->accept);
		*headers = curl_slist_append(*headers, accept);
		free(accept);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
	if (req->form)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->form);
	if (send_auth)
		set_auth(h, &req->auth);
	if (req->tls && host)
		set_tls(h, req->tls(req->tls_arg, host));
	free(hop->resp->host);
	hop->resp->host = host;
}

static int transfer_error(struct hop *hop, CURLcode c, const char *errbuf)
{
	if (hop->write_rc < 0)
		return hop->write_rc;
	if (c == CURLE_OPERATION_TIMEDOUT)
		return err_set(hop->err, -ETIMEDOUT, "%s: %s (--registry-timeout "
			       "%llu, --registry-stall-timeout %llu)",
			       hop->resp->host ? hop->resp->host : "?",
			       *errbuf ? errbuf : curl_easy_strerror(c),
			       (unsigned long long)limits.registry_seconds,
			       (unsigned long long)limits.stall_seconds);
	return err_set(hop->err, -EIO, "%s: %s", hop->resp->host ?
		       hop->resp->host : "?", *errbuf ? errbuf :
		       curl_easy_strerror(c));
}

/* One hop: a request and its response. */
static int run_hop(struct hop *hop, const char *url, bool send_auth)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURLcode c;

	reset_response(hop->resp);
	hop->resp->status = 0;
	setup_hop(hop, url, send_auth, &headers);
	curl_easy_setopt(hop->h, CURLOPT_ERRORBUFFER, errbuf);
	c = curl_easy_perform(hop->h);
	curl_slist_free_all(headers);
	hop->resp->curl = c;
	curl_easy_getinfo(hop->h, CURLINFO_RESPONSE_CODE, &hop->resp->status);
	if (c != CURLE_OK)
		return transfer_error(hop, c, errbuf);
	return 0;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* The next hop's URL, or NULL when this response is final. */
static char *next_url(struct hop *hop, const char *url, int *rc)
{
	char *loc = NULL;

	*rc = 0;
	if (!is_redirect(hop->resp->status))
		return NULL;
	curl_easy_getinfo(hop->h, CURLINFO_REDIRECT_URL, &loc);
	if (!loc)
		return NULL;
	if (!strncmp(url, "https:", 6) && strncmp(loc, "https:", 6)) {
		*rc = err_set(hop->err, -EPERM,
			      "%s: refusing a redirect from https to another scheme",
			      hop->resp->host);
		return NULL;
	}
	return xstrdup(loc);
}

int http_request_run(CURL *h, const struct http_request *req,
		     struct http_response *resp, struct hpc_err *err)
{
	struct hop hop = { .h = h, .req = req, .resp = resp, .err = err };
	char *url = xstrdup(req->url), *next, *origin;
	bool send_auth;
	int rc = 0, hops;

	for (hops = 0; hops <= MAX_HOPS; hops++) {
		/* Credentials go to their own origin, never further. */
		origin = http_origin(url);
		send_auth = origin && req->origin &&
			    !strcmp(origin, req->origin);
		free(origin);
		rc = run_hop(&hop, url, send_auth);
		if (rc < 0)
			break;
		next = next_url(&hop, url, &rc);
		if (!next)
			break;
		free(url);
		url = next;
	}
	if (rc == 0 && hops > MAX_HOPS)
		rc = err_set(err, -ELOOP, "%s: more than %d redirects",
			     resp->host, MAX_HOPS);
	free(url);
	return rc;
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	reset_response(resp);
	free(resp->host);
	resp->host = NULL;
}
