/*
 * registry: the Docker Registry HTTP API v2 for one repository: ping,
 * the challenge and token dance, retries, manifests and blobs. Part of
 * stage "fetch"; see registry.h.
 *
 * Every request is an attempt repeated up to MAX_TRIES times. An attempt
 * sends the credentials the client holds (a bearer token, or a user and
 * password for basic auth); a 401 from the registry's own host is
 * answered once, by reading its challenge and getting new credentials,
 * and the request is sent again. Tokens are shared by the threads that
 * fetch blobs; a generation number keeps two threads that meet the same
 * 401 from fetching two tokens.
 */
#include "registry.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "authfile.h"
#include "certsd.h"

#define MAX_TRIES 4
#define FIRST_DELAY_MS 500L
#define MAX_RETRY_AFTER_MS 10000L
#define TOKEN_MAX (1u << 20)
#define TOKEN_MARGIN 10	/* seconds before expiry a token is renewed */
#define IDLE_HANDLES 4

struct registry {
	char *domain;		/* as the reference names it */
	char *repo;
	char *base;		/* "https://host:port", no trailing '/' */
	char *origin;		/* http_origin(base) */
	char *host;		/* http_host(base) */
	struct certsd *certs;
	pthread_mutex_t auth_lock;	/* one challenge answered at a time */
	pthread_mutex_t lock;	/* guards what follows; changes to the
				 * credentials hold auth_lock too */
	enum http_auth_kind auth;
	char *token;
	time_t token_expiry;	/* CLOCK_MONOTONIC seconds */
	struct authfile_cred cred;
	bool cred_loaded;
	unsigned int gen;	/* bumped whenever credentials change */
	CURL *idle[IDLE_HANDLES];
	size_t n_idle;
};

/* What one request needs besides its URL. */
struct call {
	const char *what;	/* for messages: "manifest 'latest'" */
	const char *url;
	const char *accept;
	const char *form;	/* POST body, NULL for GET */
	bool registry_auth;	/* send the registry's credentials */
	struct http_auth fixed;	/* else these, to origin */
	const char *origin;
	int (*begin)(void *arg, struct hpc_err *err);
	http_write_fn write;
	/* After a 2xx body: -EAGAIN asks for another try. */
	int (*end)(void *arg, struct hpc_err *err);
	void *arg;
};

/* A body collected in memory, at most max bytes. */
struct membuf {
	char *buf;
	size_t len, max;
};

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int membuf_begin(void *arg, struct hpc_err *err)
{
	struct membuf *m = arg;

	m->len = 0;
	return 0;
}

static int membuf_write(void *arg, const void *buf, size_t len,
			struct hpc_err *err)
{
	struct membuf *m = arg;

	if (len > m->max - m->len)
		return err_set(err, -EFBIG, "larger than %zu bytes", m->max);
	m->buf = xrealloc(m->buf, m->len + len + 1);
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

static CURL *take_handle(struct registry *r)
{
	CURL *h = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->n_idle)
		h = r->idle[--r->n_idle];
	pthread_mutex_unlock(&r->lock);
	return h ? h : curl_easy_init();
}

/* Idle handles keep their connections open for the next request. */
static void give_handle(struct registry *r, CURL *h)
{
	pthread_mutex_lock(&r->lock);
	if (r->n_idle < IDLE_HANDLES) {
		r->idle[r->n_idle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	curl_easy_cleanup(h);
}

static const struct http_tls *tls_for(void *arg, const char *host)
{
	struct registry *r = arg;

	return certsd_tls(r->certs, host);
}

/* The registry's JSON error ("CODE: message"), or NULL. */
static char *error_detail(const struct http_response *resp)
{
	cJSON *root = resp->body ? cJSON_Parse(resp->body) : NULL;
	const cJSON *e = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	char *r = NULL;

	if (cJSON_IsString(code))
		r = xasprintf("%s%s%s", code->valuestring,
			      cJSON_IsString(msg) ? ": " : "",
			      cJSON_IsString(msg) ? msg->valuestring : "");
	cJSON_Delete(root);
	return r;
}

static int status_error(const struct registry *r,
			const struct http_response *resp, struct hpc_err *err)
{
	char *detail = error_detail(resp);
	int code = -EIO;

	if (resp->status == 401 || resp->status == 403)
		code = -EACCES;
	else if (resp->status == 404)
		code = -ENOENT;
	err_set(err, code, "HTTP %ld from '%s'%s%s%s", resp->status, resp->host ? resp->host : r->host,
		detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
	free(detail);
	return code;
}

static bool curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* How long to wait before try number next, or -1 to give up. */
static long retry_delay(int rc, const struct http_response *resp, int next)
{
	long delay = FIRST_DELAY_MS << (next - 2);
	bool again = false;

	if (next > MAX_TRIES)
		return -1;
	if (rc == -EIO)
		again = curl_retryable(resp->curl);
	else if (rc == -EAGAIN)
		again = true;
	else if (rc == 0)
		again = resp->status == 429 || resp->status >= 500;
	if (!again)
		return -1;
	if (rc == 0 && resp->retry_after >= 0)
		delay = resp->retry_after * 1000 > MAX_RETRY_AFTER_MS ?
			MAX_RETRY_AFTER_MS : resp->retry_after * 1000;
	return delay;
}

/*
 * The credentials to send now. A token may be replaced by another
 * thread, so it is copied to *keep; the user and password never change
 * once loaded.
 */
static unsigned int snapshot_auth(struct registry *r, struct http_auth *a,
				  char **keep)
{
	unsigned int gen;

	pthread_mutex_lock(&r->lock);
	gen = r->gen;
	*a = (struct http_auth){ .kind = HTTP_AUTH_NONE };
	*keep = NULL;
	if (r->auth == HTTP_AUTH_BEARER && now_s() < r->token_expiry) {
		a->kind = HTTP_AUTH_BEARER;
		a->token = *keep = xstrdup(r->token);
	} else if (r->auth == HTTP_AUTH_BASIC) {
		a->kind = HTTP_AUTH_BASIC;
		a->user = r->cred.username;
		a->password = r->cred.password;
	}
	pthread_mutex_unlock(&r->lock);
	return gen;
}

static void wipe_free(char *s, size_t n)
{
	if (s)
		explicit_bzero(s, n);
	free(s);
}

static int authenticate(struct registry *r, const char *challenge,
			unsigned int gen, struct hpc_err *err);

/* One request; a 401 from the registry answered once by authenticating. */
static int attempt(struct registry *r, const struct call *c,
		   struct http_response *resp, struct hpc_err *err)
{
	struct http_request req = {
		.url = c->url, .accept = c->accept, .form = c->form,
		.write = c->write, .write_arg = c->arg,
		.tls = tls_for, .tls_arg = r,
		.origin = c->registry_auth ? r->origin : c->origin,
		.auth = c->fixed,
	};
	CURL *h = take_handle(r);
	char *keep = NULL;
	unsigned int gen = 0;
	int rc, round;

	for (round = 0; round < 2; round++) {
		if (c->registry_auth)
			gen = snapshot_auth(r, &req.auth, &keep);
		rc = http_request_run(h, &req, resp, err);
		wipe_free(keep, keep ? strlen(keep) : 0);
		keep = NULL;
		if (rc < 0 || resp->status != 401 || !c->registry_auth ||
		    !resp->www_authenticate || round ||
		    !resp->host || strcmp(resp->host, r->host))
			break;
		rc = authenticate(r, resp->www_authenticate, gen, err);
		if (rc < 0)
			break;
		if (c->begin)
			rc = c->begin(c->arg, err);
		if (rc < 0)
			break;
	}
	give_handle(r, h);
	if (rc == 0 && resp->status >= 200 && resp->status <= 299 && c->end)
		rc = c->end(c->arg, err);
	return rc;
}

/* Run c with retries; 0 only for a 2xx answer. */
static int call_run(struct registry *r, const struct call *c,
		    struct http_response *resp, struct hpc_err *err)
{
	long delay;
	int rc, next;

	for (next = 2;; next++) {
		rc = c->begin ? c->begin(c->arg, err) : 0;
		if (rc == 0)
			rc = attempt(r, c, resp, err);
		delay = retry_delay(rc, resp, next);
		if (delay < 0)
			break;
		log_debug("%s: %s, trying again in %ld ms", c->what,
			  rc < 0 ? err->msg : "server busy", delay);
		sleep_ms(delay);
	}
	if (rc == 0 && (resp->status < 200 || resp->status > 299))
		rc = status_error(r, resp, err);
	if (rc < 0 && next > 2)
		err_prefix(err, "%s (%d tries)", c->what, next - 1);
	else if (rc < 0)
		err_prefix(err, "%s", c->what);
	return rc;
}

/* Append "name=VALUE" (escaped) to a query string. */
static void query_add(char **q, const char *name, const char *v, size_t n)
{
	char *e = curl_easy_escape(NULL, v, (int)n), *next;

	next = xasprintf("%s%s%s=%s", *q, **q ? "&" : "", name, e);
	curl_free(e);
	free(*q);
	*q = next;
}

/* "service=S&scope=A&scope=B": a challenge's scope may hold several. */
static char *token_query(const char *service, const char *scope)
{
	char *q = xstrdup("");
	const char *p, *sp;
	size_t n;

	if (service)
		query_add(&q, "service", service, strlen(service));
	for (p = scope; p && *p; p = sp ? sp + 1 : NULL) {
		sp = strchr(p, ' ');
		n = sp ? (size_t)(sp - p) : strlen(p);
		if (n)
			query_add(&q, "scope", p, n);
	}
	return q;
}

/*
 * The token request a Bearer challenge asks for: a GET of the realm with
 * the user's password (basic auth) or none, or an OAuth2 POST with the
 * user's refresh token. *ret_url and *ret_form (NULL for a GET) are the
 * caller's to free; auth points into r->cred.
 */
static void token_request(const struct registry *r,
			  const struct auth_challenge *ch, const char *realm,
			  char **ret_url, char **ret_form,
			  struct http_auth *auth)
{
	const char *scope = auth_challenge_param(ch, "scope");
	char *dflt = xasprintf("repository:%s:pull", r->repo), *q;

	q = token_query(auth_challenge_param(ch, "service"),
			scope ? scope : dflt);
	*ret_form = NULL;
	*auth = (struct http_auth){ .kind = HTTP_AUTH_NONE };
	if (r->cred.identity_token) {
		*ret_form = xasprintf("grant_type=refresh_token&client_id=hpc&%s",
				      q);
		query_add(ret_form, "refresh_token", r->cred.identity_token,
			  strlen(r->cred.identity_token));
		*ret_url = xstrdup(realm);
	} else {
		*ret_url = xasprintf("%s%c%s", realm,
				     strchr(realm, '?') ? '&' : '?', q);
	}
	if (!r->cred.identity_token && r->cred.username)
		*auth = (struct http_auth){ .kind = HTTP_AUTH_BASIC,
					    .user = r->cred.username,
					    .password = r->cred.password };
	free(q);
	free(dflt);
}

static void set_token(struct registry *r, char *token, long expires)
{
	pthread_mutex_lock(&r->lock);
	wipe_free(r->token, r->token ? strlen(r->token) : 0);
	r->token = token;
	r->token_expiry = now_s() + expires - TOKEN_MARGIN;
	r->auth = HTTP_AUTH_BEARER;
	pthread_mutex_unlock(&r->lock);
}

/* Answer a Bearer challenge with a token from its realm. */
static int fetch_token(struct registry *r, const struct auth_challenge *ch,
		       struct hpc_err *err)
{
	const char *realm = auth_challenge_param(ch, "realm");
	char *url = NULL, *form = NULL, *origin = NULL, *token = NULL;
	struct membuf body = { .max = TOKEN_MAX };
	struct http_response resp = { .retry_after = -1 };
	struct call c = {
		.what = "token request", .begin = membuf_begin,
		.write = membuf_write, .arg = &body,
	};
	long expires = 0;
	int rc;

	if (!realm || (strncmp(realm, "https://", 8) &&
		       strncmp(realm, "http://", 7)))
		return err_set(err, -EINVAL,
			       "registry '%s' sent a Bearer challenge without an http(s) realm",
			       r->domain);
	token_request(r, ch, realm, &url, &form, &c.fixed);
	c.origin = origin = http_origin(realm);
	c.url = url;
	c.form = form;
	rc = call_run(r, &c, &resp, err);
	if (rc == 0)
		rc = auth_token_parse(body.buf ? body.buf : "", body.len,
				      &token, &expires, err);
	if (rc == -EACCES)
		rc = err_set(err, rc, r->cred.username ?
			     "the token service at '%s' refused the credentials the auth files have for '%s'" :
			     "the token service at '%s' refused anonymous access, and no auth file has credentials for '%s'",
			     resp.host ? resp.host : realm, r->domain);
	if (rc == 0)
		set_token(r, token, expires);
	wipe_free(form, form ? strlen(form) : 0);
	wipe_free(body.buf, body.len);
	http_response_release(&resp);
	free(origin);
	free(url);
	return rc;
}

/* Credentials from the auth files, looked up once; none is fine. */
static int load_cred(struct registry *r, struct hpc_err *err)
{
	int rc;

	if (r->cred_loaded)
		return 0;
	rc = authfile_find(r->domain, &r->cred, err);
	if (rc == -ENOENT)
		rc = 0;
	r->cred_loaded = rc == 0;
	if (rc == 0)
		log_debug("registry '%s': %s", r->domain, r->cred.username ||
			  r->cred.identity_token ? "credentials found" :
			  "no credentials, anonymous");
	return rc;
}

static int use_basic(struct registry *r, struct hpc_err *err)
{
	if (!r->cred.username || !r->cred.password)
		return err_set(err, -EACCES,
			       "registry '%s' asks for a user name and password, and no auth file has them ($REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json)",
			       r->domain);
	pthread_mutex_lock(&r->lock);
	r->auth = HTTP_AUTH_BASIC;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int answer_challenge(struct registry *r, struct auth_challenge *chs,
			    size_t n, struct hpc_err *err)
{
	const struct auth_challenge *bearer, *basic;
	int rc;

	bearer = auth_challenge_find(chs, n, "bearer");
	basic = auth_challenge_find(chs, n, "basic");
	if (!bearer && !basic)
		return err_set(err, -ENOTSUP,
			       "registry '%s' asks for '%s' authentication, which is not supported",
			       r->domain, chs[0].scheme);
	rc = load_cred(r, err);
	if (rc < 0)
		return rc;
	if (bearer)
		return fetch_token(r, bearer, err);
	return use_basic(r, err);
}

/*
 * Answer a challenge met by a request sent with credentials of
 * generation gen; if another thread has already answered one since,
 * there is nothing to do but try again.
 */
static int authenticate(struct registry *r, const char *challenge,
			unsigned int gen, struct hpc_err *err)
{
	struct auth_challenge *chs = NULL;
	size_t n = 0;
	int rc = 0;

	pthread_mutex_lock(&r->auth_lock);
	if (gen != r->gen)
		goto out;
	rc = auth_challenges_parse(challenge, &chs, &n, err);
	if (rc == 0)
		rc = answer_challenge(r, chs, n, err);
	pthread_mutex_lock(&r->lock);
	if (rc == 0)
		r->gen++;
	pthread_mutex_unlock(&r->lock);
out:
	pthread_mutex_unlock(&r->auth_lock);
	auth_challenges_free(chs, n);
	return rc;
}

/* GET /v2/: is this a registry, and how does it want to be spoken to? */
static int ping(struct registry *r, struct hpc_err *err)
{
	struct http_response resp = { .retry_after = -1 };
	char *url = xasprintf("%s/v2/", r->base);
	struct call c = { .what = "GET /v2/", .url = url };
	int rc;

	rc = call_run(r, &c, &resp, err);
	if (rc == -EACCES && resp.status == 401 && resp.www_authenticate)
		rc = authenticate(r, resp.www_authenticate, r->gen, err);
	else if (rc == -ENOENT)
		rc = err_set(err, -EPROTO,
			     "'%s' does not serve the registry API (HTTP 404 for /v2/)",
			     r->host);
	http_response_release(&resp);
	free(url);
	return rc;
}

static void set_base(struct registry *r, const char *scheme,
		     const char *host)
{
	free(r->base);
	free(r->origin);
	free(r->host);
	r->base = xasprintf("%s://%s", scheme, host);
	r->origin = http_origin(r->base);
	r->host = http_host(r->base);
}

/* Name the registry; a TLS failure may want --insecure-registry. */
static int connect_error(const struct registry *r, const char *host,
			 int rc, struct hpc_err *err)
{
	char *msg = xstrdup(err->msg);

	if (rc == -EIO && !certsd_insecure(r->certs, host))
		err_set(err, rc,
			"registry '%s': %s (if it speaks plain HTTP or has a certificate that cannot be checked, --insecure-registry %s allows that)",
			r->domain, msg, host);
	else
		err_set(err, rc, "registry '%s': %s", r->domain, msg);
	free(msg);
	return rc;
}

/* HTTPS first; plain HTTP only for a registry named insecure. */
static int connect_registry(struct registry *r, const char *host,
			    struct hpc_err *err)
{
	int rc;

	set_base(r, "https", host);
	rc = ping(r, err);
	if (rc == -EIO && certsd_insecure(r->certs, host)) {
		log_debug("registry '%s': %s; trying plain HTTP", r->domain,
			  err->msg);
		set_base(r, "http", host);
		rc = ping(r, err);
	}
	return rc < 0 ? connect_error(r, host, rc, err) : 0;
}

int registry_open(const char *domain, const char *repo,
		  const struct registry_opts *opts, struct registry **ret,
		  struct hpc_err *err)
{
	struct registry *r = xcalloc(1, sizeof(*r));
	/* Docker Hub's API lives on another name than its images. */
	const char *host = strcmp(domain, "docker.io") ? domain :
			   "registry-1.docker.io";
	int rc;

	http_global_init();
	r->domain = xstrdup(domain);
	r->repo = xstrdup(repo);
	r->certs = certsd_new(opts ? opts->certs_dir : NULL,
			      opts ? opts->insecure : NULL);
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->auth_lock, NULL);
	rc = connect_registry(r, host, err);
	if (rc < 0) {
		registry_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	while (r->n_idle)
		curl_easy_cleanup(r->idle[--r->n_idle]);
	authfile_cred_release(&r->cred);
	wipe_free(r->token, r->token ? strlen(r->token) : 0);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->auth_lock);
	certsd_free(r->certs);
	free(r->domain);
	free(r->repo);
	free(r->base);
	free(r->origin);
	free(r->host);
	free(r);
}

int registry_get_manifest(struct registry *r, const char *reference,
			  size_t max, char **ret_buf, size_t *ret_len,
			  char **ret_type, struct hpc_err *err)
{
	struct http_response resp = { .retry_after = -1 };
	struct membuf body = { .max = max };
	char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, r->repo,
			      reference);
	char *what = xasprintf("manifest '%s'", reference);
	struct call c = {
		.what = what, .url = url, .registry_auth = true,
		.accept = REGISTRY_MANIFEST_ACCEPT, .begin = membuf_begin,
		.write = membuf_write, .arg = &body,
	};
	int rc;

	rc = call_run(r, &c, &resp, err);
	if (rc == 0) {
		*ret_buf = body.buf ? body.buf : xstrdup("");
		*ret_len = body.len;
		*ret_type = resp.content_type ? xstrdup(resp.content_type) :
			    NULL;
		body.buf = NULL;
	}
	http_response_release(&resp);
	free(body.buf);
	free(what);
	free(url);
	return rc;
}

/* The sink of a blob request, with the count that catches a short body. */
struct blob_call {
	const struct registry_sink *sink;
	uint64_t size, got;
};

static int blob_begin(void *arg, struct hpc_err *err)
{
	struct blob_call *b = arg;

	b->got = 0;
	return b->sink->begin ? b->sink->begin(b->sink->arg, err) : 0;
}

static int blob_write(void *arg, const void *buf, size_t len,
		      struct hpc_err *err)
{
	struct blob_call *b = arg;

	if (len > b->size - b->got)
		return err_set(err, -EBADMSG,
			       "more than the %llu bytes its descriptor gives",
			       (unsigned long long)b->size);
	b->got += len;
	return b->sink->write(b->sink->arg, buf, len, err);
}

static int blob_end(void *arg, struct hpc_err *err)
{
	struct blob_call *b = arg;

	if (b->got == b->size)
		return 0;
	return err_set(err, -EAGAIN, "ended after %llu of %llu bytes",
		       (unsigned long long)b->got,
		       (unsigned long long)b->size);
}

int registry_get_blob(struct registry *r, const char *digest, uint64_t size,
		      const struct registry_sink *sink, struct hpc_err *err)
{
	struct http_response resp = { .retry_after = -1 };
	struct blob_call b = { .sink = sink, .size = size };
	char *url = xasprintf("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
	struct call c = {
		.what = "download", .url = url, .registry_auth = true,
		.begin = blob_begin, .write = blob_write, .end = blob_end,
		.arg = &b,
	};
	int rc;

	rc = call_run(r, &c, &resp, err);
	http_response_release(&resp);
	free(url);
	return rc;
}
