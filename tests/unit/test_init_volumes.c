/*
 * test_init_volumes: the init's reading of a container's mount lines
 * (init/plan.c, docs/image-format.md): each "mount" opens a mount and
 * the lines after it belong to it; lines out of place are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

#define HEAD "hpc-plan 1\ncontainer a\nrootfs hpc-root-0\narg sh\n"

static int parse(const char *text, struct plan *p, struct errmsg *e)
{
	memset(e, 0, sizeof(*e));
	return plan_parse(text, strlen(text), p, e);
}

static void test_mounts(void **state)
{
	struct plan p;
	struct errmsg e;
	const struct plan_container *c;

	assert_int_equal(parse(HEAD "mount data\nmountpath /srv/my%20data\n"
			       "mountro 0\nmount conf\nmountpath /etc/a.conf\n"
			       "mountfile a.conf\nmountro 1\nend\n"
			       "container b\nrootfs hpc-root-0\narg sh\nend\n",
			       &p, &e), 0);
	c = &p.containers[0];
	assert_int_equal(c->n_mounts, 2);
	assert_string_equal(c->mounts[0].volume, "data");
	assert_string_equal(c->mounts[0].path, "/srv/my data");
	assert_null(c->mounts[0].file);
	assert_int_equal(c->mounts[0].read_only, 0);
	assert_string_equal(c->mounts[1].file, "a.conf");
	assert_int_equal(c->mounts[1].read_only, 1);
	assert_int_equal(p.containers[1].n_mounts, 0);
	plan_release(&p);
}

static void test_bad_mounts(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ HEAD "mountpath /x\nend\n", "'mountpath' before any 'mount'" },
		{ HEAD "mount v\nend\n", "has no absolute 'mountpath'" },
		{ HEAD "mount v\nmountpath rel\nend\n",
		  "has no absolute 'mountpath'" },
		{ HEAD "mount\nend\n", "mount without a volume" },
		{ HEAD "mount v\nmountpath /x\nmountro 2\nend\n",
		  "'2' is not 0 or 1" },
		{ "hpc-plan 1\nmount v\n", "'mount' outside a container" },
	};
	struct plan p;
	struct errmsg e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &p, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg,
				 cases[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_bad_mounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
