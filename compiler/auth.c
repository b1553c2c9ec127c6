/*
 * auth: WWW-Authenticate challenges (RFC 7235) and token endpoint
 * answers, for the registry client of stage "fetch". See auth.h.
 *
 * The header grammar is ambiguous after a comma: what follows is either
 * another parameter of the same challenge ("name=value") or a new
 * challenge ("Scheme ..."). A token followed by '=' and a value is a
 * parameter; anything else starts a challenge.
 */
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

/* Many more than any registry sends; a bound against hostile headers. */
#define MAX_CHALLENGES 16
#define MAX_PARAMS 32
#define TOKEN_MIN_EXPIRY 60

struct cursor {
	const char *s;		/* the whole header, for offsets */
	const char *p;
	struct hpc_err *err;
};

static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("-._~+/", c));
}

static void skip_ows(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

static int malformed(struct cursor *c, const char *what)
{
	return err_set(c->err, -EINVAL,
		       "malformed WWW-Authenticate header: %s at offset %td",
		       what, c->p - c->s);
}

/* A token, lowercased when lower is set; NULL when there is none. */
static char *take_token(struct cursor *c, bool lower)
{
	const char *start = c->p;
	char *t;
	size_t i;

	while (is_tchar(*c->p))
		c->p++;
	if (c->p == start)
		return NULL;
	t = xstrndup(start, (size_t)(c->p - start));
	for (i = 0; lower && t[i]; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	return t;
}

/* A quoted-string, the cursor on its opening quote; escapes resolved. */
static int take_quoted(struct cursor *c, char **ret)
{
	const char *start = ++c->p;
	char *out = xmalloc(strlen(start) + 1);
	size_t n = 0;

	for (; *c->p && *c->p != '"'; c->p++) {
		if (*c->p == '\\' && c->p[1])
			c->p++;
		if ((unsigned char)*c->p < 0x20 && *c->p != '\t')
			break;
		out[n++] = *c->p;
	}
	if (*c->p != '"') {
		free(out);
		return malformed(c, "unterminated quoted string");
	}
	c->p++;
	out[n] = '\0';
	*ret = out;
	return 0;
}

/* After "name" BWS "=" BWS: a token or a quoted string. */
static int take_value(struct cursor *c, char **ret)
{
	skip_ows(c);
	if (*c->p == '"')
		return take_quoted(c, ret);
	*ret = take_token(c, false);
	if (!*ret)
		return malformed(c, "parameter without a value");
	return 0;
}

/*
 * Whether the cursor is at "token BWS = BWS value": a parameter rather
 * than a token68 or the next challenge's scheme.
 */
static bool at_param(const struct cursor *c)
{
	const char *p = c->p;

	while (is_tchar(*p))
		p++;
	if (p == c->p)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '=')
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '"' || is_tchar(*p);
}

/* Past OWS, commas and OWS, to the next list element. */
static void skip_list_sep(struct cursor *c)
{
	skip_ows(c);
	while (*c->p == ',') {
		c->p++;
		skip_ows(c);
	}
}

static int take_param(struct cursor *c, struct auth_challenge *ch)
{
	struct auth_param *pa;
	int rc;

	if (ch->n_params == MAX_PARAMS)
		return malformed(c, "too many parameters");
	ch->params = xreallocarray(ch->params, ch->n_params + 1,
				   sizeof(*ch->params));
	pa = &ch->params[ch->n_params];
	pa->name = take_token(c, true);
	skip_ows(c);
	c->p++;			/* the '=' that at_param saw */
	rc = take_value(c, &pa->value);
	if (rc < 0) {
		free(pa->name);
		return rc;
	}
	ch->n_params++;
	return 0;
}

/* token68: its characters, then any number of '='. */
static int take_token68(struct cursor *c, struct auth_challenge *ch)
{
	const char *start = c->p;

	while (is_token68_char(*c->p))
		c->p++;
	if (c->p == start)
		return malformed(c, "expected parameters or a token68");
	while (*c->p == '=')
		c->p++;
	ch->token68 = xstrndup(start, (size_t)(c->p - start));
	skip_ows(c);
	if (*c->p && *c->p != ',')
		return malformed(c, "unexpected character after token68");
	return 0;
}

/* A challenge's parameters, until the next challenge or the end. */
static int take_params(struct cursor *c, struct auth_challenge *ch)
{
	int rc;

	while (at_param(c)) {
		rc = take_param(c, ch);
		if (rc < 0)
			return rc;
		skip_ows(c);
		if (*c->p && *c->p != ',')
			return malformed(c, "expected ',' between parameters");
		skip_list_sep(c);
	}
	return 0;
}

static int take_challenge(struct cursor *c, struct auth_challenge *ch)
{
	int rc;

	ch->scheme = take_token(c, true);
	if (!ch->scheme)
		return malformed(c, "expected an auth scheme");
	if (*c->p && *c->p != ' ' && *c->p != '\t' && *c->p != ',')
		return malformed(c, "unexpected character after the scheme");
	skip_ows(c);
	if (*c->p == ',' || !*c->p) {
		skip_list_sep(c);
		return 0;
	}
	if (!at_param(c)) {
		rc = take_token68(c, ch);
		skip_list_sep(c);
		return rc;
	}
	return take_params(c, ch);
}

int auth_challenges_parse(const char *header, struct auth_challenge **ret,
			  size_t *ret_n, struct hpc_err *err)
{
	struct cursor c = { .s = header, .p = header, .err = err };
	struct auth_challenge *chs = NULL;
	size_t n = 0;
	int rc = 0;

	skip_list_sep(&c);
	while (*c.p && rc == 0) {
		if (n == MAX_CHALLENGES) {
			rc = malformed(&c, "too many challenges");
			break;
		}
		chs = xreallocarray(chs, n + 1, sizeof(*chs));
		memset(&chs[n], 0, sizeof(*chs));
		rc = take_challenge(&c, &chs[n++]);
	}
	if (rc == 0 && n == 0)
		rc = err_set(err, -EINVAL,
			     "malformed WWW-Authenticate header: no challenge");
	if (rc < 0) {
		auth_challenges_free(chs, n);
		return rc;
	}
	*ret = chs;
	*ret_n = n;
	return 0;
}

void auth_challenges_free(struct auth_challenge *c, size_t n)
{
	size_t i, j;

	for (i = 0; c && i < n; i++) {
		for (j = 0; j < c[i].n_params; j++) {
			free(c[i].params[j].name);
			free(c[i].params[j].value);
		}
		free(c[i].params);
		free(c[i].scheme);
		free(c[i].token68);
	}
	free(c);
}

const struct auth_challenge *auth_challenge_find(
	const struct auth_challenge *c, size_t n, const char *scheme)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(c[i].scheme, scheme))
			return &c[i];
	return NULL;
}

const char *auth_challenge_param(const struct auth_challenge *c,
				 const char *name)
{
	size_t i;

	for (i = 0; i < c->n_params; i++)
		if (!strcasecmp(c->params[i].name, name))
			return c->params[i].value;
	return NULL;
}

int auth_token_parse(const char *buf, size_t len, char **ret_token,
		     long *ret_expires_in, struct hpc_err *err)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const cJSON *tok, *exp;
	long expires = TOKEN_MIN_EXPIRY;
	int rc = 0;

	tok = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (!cJSON_IsString(tok) || !*tok->valuestring)
		tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	if (!cJSON_IsObject(root)) {
		rc = err_set(err, -EINVAL, "token answer is not a JSON object");
		goto out;
	}
	if (!cJSON_IsString(tok) || !*tok->valuestring) {
		rc = err_set(err, -EINVAL,
			     "token answer has no 'token' or 'access_token'");
		goto out;
	}
	exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (cJSON_IsNumber(exp) && exp->valuedouble > TOKEN_MIN_EXPIRY &&
	    exp->valuedouble < 1e9)
		expires = (long)exp->valuedouble;
	*ret_token = xstrdup(tok->valuestring);
	*ret_expires_in = expires;
out:
	cJSON_Delete(root);
	return rc;
}
