/*
 * specjson: the normalised pod as JSON.
 *
 * The end of stage "spec" as others see it: the pod after parsing and
 * checking, every alias resolved to one spelling, every default filled
 * in. `hpc validate --json` prints it, and the image's manifest keeps it
 * under "pod", so what was built can be read back.
 */
#ifndef HPC_SPECJSON_H
#define HPC_SPECJSON_H

#include <cJSON.h>

#include "spec.h"

/* specjson_pod - a new cJSON object; the caller deletes it. */
cJSON *specjson_pod(const struct spec_pod *pod);

/*
 * specjson_pod_brief - the same, but a pod file's content is given by
 * its size ("contentBytes") and sha256, not its bytes: the manifest's
 * copy, which must stay small whatever the pod files hold.
 */
cJSON *specjson_pod_brief(const struct spec_pod *pod);

/*
 * specjson_ports - every published port of the pod, ranges expanded, as
 * docs/image-format.md's manifest "ports" array; a new cJSON array.
 */
cJSON *specjson_ports(const struct spec_pod *pod);

#endif
