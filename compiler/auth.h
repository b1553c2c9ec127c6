/*
 * auth: what a registry asks for. Parses the WWW-Authenticate challenges
 * of a 401 (RFC 7235: several challenges in one header, quoted strings
 * with commas and backslash escapes) and the token endpoint's answer.
 *
 * Part of stage "fetch": registry.c runs the challenge and token dance
 * with what this module and authfile.c return. No message of this module
 * holds a token.
 */
#ifndef HPC_AUTH_H
#define HPC_AUTH_H

#include <stddef.h>

#include "util.h"

struct auth_param {
	char *name;	/* lowercased: "realm", "service", "scope" */
	char *value;	/* unquoted, escapes resolved */
};

struct auth_challenge {
	char *scheme;			/* lowercased: "bearer", "basic" */
	struct auth_param *params;
	size_t n_params;
	char *token68;			/* the other form, or NULL */
};

/*
 * auth_challenges_parse - every challenge of one WWW-Authenticate value.
 * Returns 0 with *ret (n entries, at least one) to free with
 * auth_challenges_free, or -EINVAL with a message for malformed input.
 */
int auth_challenges_parse(const char *header, struct auth_challenge **ret,
			  size_t *ret_n, struct hpc_err *err);
void auth_challenges_free(struct auth_challenge *c, size_t n);

/* auth_challenge_find - the first challenge of scheme (any case), or NULL. */
const struct auth_challenge *auth_challenge_find(
	const struct auth_challenge *c, size_t n, const char *scheme);
/* auth_challenge_param - a parameter's value (name in any case), or NULL. */
const char *auth_challenge_param(const struct auth_challenge *c,
				 const char *name);

/*
 * auth_token_parse - a token endpoint's JSON answer: "token", else
 * "access_token"; "expires_in" seconds (60 when absent or smaller, as the
 * token specification says). *ret_token is the caller's to free.
 */
int auth_token_parse(const char *buf, size_t len, char **ret_token,
		     long *ret_expires_in, struct hpc_err *err);

#endif
