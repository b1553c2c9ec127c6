/*
 * fuzz_auth: the registry's answers that come before any verified byte:
 * a WWW-Authenticate value (up to the first NUL of the input) and a
 * token endpoint's JSON (what follows it).
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hpc_err err = { .msg = "" };
	struct auth_challenge *c = NULL;
	char *text = fuzz_text(data, size), *token = NULL;
	size_t n = 0, head = strlen(text);
	long expires;

	log_level = LOG_QUIET;
	if (auth_challenges_parse(text, &c, &n, &err) == 0) {
		(void)auth_challenge_param(auth_challenge_find(c, n, "bearer") ?
					   auth_challenge_find(c, n, "bearer") :
					   &c[0], "realm");
		auth_challenges_free(c, n);
	}
	if (head < size &&
	    auth_token_parse(text + head + 1, size - head - 1, &token,
			     &expires, &err) == 0)
		free(token);
	free(text);
	return 0;
}
