/*
 * platform: parse --platform OS/ARCH[/VARIANT] for stage "fetch". See
 * platform.h.
 */
#include "platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int bad(const char *s, struct hpc_err *err)
{
	return err_set(err, -EINVAL,
		       "platform '%s' is not OS/ARCH or OS/ARCH/VARIANT (e.g. linux/arm64 or linux/arm/v7)",
		       s);
}

int platform_parse(const char *s, struct platform *ret, struct hpc_err *err)
{
	const char *a = strchr(s, '/'), *v;
	struct platform p = { 0 };

	if (!a || a == s || !a[1] || a[1] == '/')
		return bad(s, err);
	v = strchr(a + 1, '/');
	if (v && (!v[1] || strchr(v + 1, '/')))
		return bad(s, err);
	p.os = xstrndup(s, (size_t)(a - s));
	p.arch = v ? xstrndup(a + 1, (size_t)(v - a - 1)) : xstrdup(a + 1);
	p.variant = v ? xstrdup(v + 1) : NULL;
	*ret = p;
	return 0;
}

void platform_release(struct platform *p)
{
	if (!p)
		return;
	free(p->os);
	free(p->arch);
	free(p->variant);
	p->os = p->arch = p->variant = NULL;
}
