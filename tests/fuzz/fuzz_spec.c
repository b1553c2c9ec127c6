/*
 * fuzz_spec: stage "spec" under hostile input. Any bytes go through the
 * pod parser and validator (spec_parse, strict and not); whatever they
 * hold, the parser returns 0 with a pod or -EINVAL with a message.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hpc_err err = { .msg = "" };
	struct spec_pod *pod = NULL;
	char *text = fuzz_text(data, size);

	log_level = LOG_QUIET;
	if (spec_parse(text, size, "/fuzz/pod.json", size & 1, &pod, &err) == 0)
		spec_free(pod);
	free(text);
	return 0;
}
