/*
 * authfile: what the user gives a registry. Finds credentials for a
 * registry in the auth files ($REGISTRY_AUTH_FILE,
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json) or through the
 * docker-credential-NAME helper an auth file names.
 *
 * Part of stage "fetch", used by registry.c when a registry challenges.
 * Credentials live in memory only and are wiped when released: no
 * message of this module ever holds a user name, password or token, and
 * nothing of them reaches the cache or the image.
 */
#ifndef HPC_AUTHFILE_H
#define HPC_AUTHFILE_H

#include <stddef.h>

#include "util.h"

struct authfile_cred {
	char *username;		/* NULL when there is none */
	char *password;
	char *identity_token;	/* an OAuth2 refresh token, or NULL */
};

/*
 * authfile_parse - look registry (a domain as ref_docker_parse gives it:
 * "docker.io", "host:port") up in one auth file's JSON. Keys may carry a
 * scheme and a path ("https://index.docker.io/v1/"). Returns 0 with *ret
 * filled from "auths" (base64 "auth", or "username"/"password",
 * "identitytoken"); 1 with *ret_helper set (to free) when a credHelpers
 * entry or credsStore names a helper to ask instead; -ENOENT when the
 * file knows nothing of registry; -EINVAL for a malformed file.
 */
int authfile_parse(const char *json, size_t len, const char *registry,
		    struct authfile_cred *ret, char **ret_helper,
		    struct hpc_err *err);

/*
 * authfile_find - credentials for registry from the first auth file
 * that has an entry for it, running docker-credential-NAME when the
 * entry names a helper. Returns 0 with *ret filled (release it with
 * authfile_cred_release), -ENOENT when there are none (anonymous access), or
 * another -errno for a broken file or helper.
 */
int authfile_find(const char *registry, struct authfile_cred *ret,
		   struct hpc_err *err);
/* authfile_cred_release - wipe and free the strings of c. */
void authfile_cred_release(struct authfile_cred *c);

/* authfile_helper_server - the server name a credential helper is asked for. */
const char *authfile_helper_server(const char *registry);

#endif
