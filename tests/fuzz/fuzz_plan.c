/*
 * fuzz_plan: the guest's side of the initrd. hpc-init decodes the plan
 * the compiler wrote with plan_parse, without a JSON library; any bytes
 * must give a plan or a message, never a crash, since a crash of PID 1
 * panics the guest.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errmsg e = { .msg = "" };
	struct plan p;
	char *text = fuzz_text(data, size);

	if (plan_parse(text, size, &p, &e) == 0)
		plan_release(&p);
	free(text);
	return 0;
}
