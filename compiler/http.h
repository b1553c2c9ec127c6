/*
 * http: one HTTP exchange over libcurl, for the registry client of stage
 * "fetch". Redirects are followed here, hop by hop, rather than by
 * libcurl, so that the credentials go only to the origin they are for
 * (a registry that redirects a blob to storage on another host must not
 * hand that host its token) and each hop gets the TLS settings of its
 * own host. Retrying, and what a status means, is for the caller.
 */
#ifndef HPC_HTTP_H
#define HPC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "util.h"

enum http_auth_kind { HTTP_AUTH_NONE, HTTP_AUTH_BASIC, HTTP_AUTH_BEARER };

struct http_auth {
	enum http_auth_kind kind;
	const char *user, *password;	/* HTTP_AUTH_BASIC */
	const char *token;		/* HTTP_AUTH_BEARER */
};

struct http_tls {
	bool insecure;		/* no certificate or host name checks */
	const char *ca_pem;	/* the CAs to trust (PEM); NULL: the system's */
	size_t ca_len;
	const char *cert, *key;	/* a client certificate and key, or NULL */
};

/* The TLS settings for host ("name:port"); called for every hop. */
typedef const struct http_tls *(*http_tls_fn)(void *arg, const char *host);

/* Takes a 2xx body as it arrives; returns 0 or -errno with err set. */
typedef int (*http_write_fn)(void *arg, const void *buf, size_t len,
			     struct hpc_err *err);

struct http_request {
	const char *url;
	const char *origin;	/* "scheme://host:port" auth may be sent to */
	struct http_auth auth;
	const char *accept;	/* the Accept header, or NULL */
	const char *form;	/* POST this urlencoded form; NULL: GET */
	http_write_fn write;
	void *write_arg;
	http_tls_fn tls;
	void *tls_arg;
};

struct http_response {
	long status;		/* of the last hop; 0 when none arrived */
	char *content_type;	/* parameters cut off; NULL when absent */
	char *www_authenticate;	/* all such headers joined by ", " */
	long retry_after;	/* seconds, -1 when absent */
	char *body;		/* the start of a non-2xx body, NUL-ended */
	size_t body_len;
	CURLcode curl;		/* how the transfer ended */
	char *host;		/* "name:port" of the last hop */
};

/*
 * http_request_run - run req on handle h, following up to 10 redirects.
 * Returns 0 when a final response arrived, whatever its status (resp
 * says which); -EIO when the transfer failed (resp->curl says how,
 * err says it in words); the write function's error when it refused the
 * body; -EPERM for a redirect from https to http. Release resp with
 * http_response_release, also on failure.
 */
int http_request_run(CURL *h, const struct http_request *req,
		     struct http_response *resp, struct hpc_err *err);
void http_response_release(struct http_response *resp);

/*
 * http_origin - "scheme://host:port" of url with the default port made
 * explicit, or NULL when url does not parse. The caller frees it.
 */
char *http_origin(const char *url);

/* http_host - "host:port" of url, or NULL; the caller frees it. */
char *http_host(const char *url);

/* http_global_init - curl_global_init, once per process; thread-safe. */
void http_global_init(void);

#endif
