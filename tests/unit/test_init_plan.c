/*
 * test_init_plan: the init's decoder of /hpc/plan (init/plan.c), against
 * the format in docs/image-format.md: escapes, defaults, unknown keys
 * and every kind of malformed line.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan.h"

static const char full_plan[] =
	"hpc-plan 1\n"
	"name hello\n"
	"hostname web-host\n"
	"ip 10.0.2.15\n"
	"netmask 255.255.255.0\n"
	"gateway 10.0.2.2\n"
	"dns 10.0.2.3\n"
	"dns 1.1.1.1\n"
	"dnssearch example.com\n"
	"dnsoption ndots:2\n"
	"tty 0\n"
	"module /lib/modules/virtio_ring.ko\n"
	"module /lib/modules/virtio.ko\n"
	"container web\n"
	"rootfs hpc-root-0\n"
	"arg /bin/busybox\n"
	"arg httpd\n"
	"arg -p%2080%25\n"
	"env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
	"/bin\n"
	"env DVM_POD_IP=10.0.2.15\n"
	"workdir /srv/www\n"
	"user app:staff\n"
	"restart onFailure\n"
	"stopsignal 3\n"
	"group cdrom\n"
	"group 8\n"
	"tty 1\n"
	"readonly 1\n"
	"sysctl kernel.domainname=example\n"
	"end\n"
	"container side\n"
	"rootfs hpc-root-1\n"
	"arg sh\n"
	"end\n";

static int parse(const char *text, struct plan *p, struct errmsg *e)
{
	memset(e, 0, sizeof(*e));
	return plan_parse(text, strlen(text), p, e);
}

static void test_full_plan(void **state)
{
	struct plan p;
	struct errmsg e;
	const struct plan_container *c;

	assert_int_equal(parse(full_plan, &p, &e), 0);
	assert_int_equal(p.version, 1);
	assert_string_equal(p.name, "hello");
	assert_string_equal(p.hostname, "web-host");
	assert_string_equal(p.ip, "10.0.2.15");
	assert_string_equal(p.netmask, "255.255.255.0");
	assert_string_equal(p.gateway, "10.0.2.2");
	assert_int_equal(p.n_dns, 2);
	assert_string_equal(p.dns[1], "1.1.1.1");
	assert_null(p.dns[2]);
	assert_int_equal(p.tty, 0);
	assert_int_equal(p.n_modules, 2);
	assert_string_equal(p.modules[0], "/lib/modules/virtio_ring.ko");
	assert_string_equal(p.modules[1], "/lib/modules/virtio.ko");
	assert_int_equal(p.n_containers, 2);
	c = &p.containers[0];
	assert_string_equal(c->name, "web");
	assert_string_equal(c->rootfs, "hpc-root-0");
	assert_int_equal(c->argc, 3);
	assert_string_equal(c->argv[0], "/bin/busybox");
	assert_string_equal(c->argv[2], "-p 80%");
	assert_null(c->argv[3]);
	assert_int_equal(c->envc, 2);
	assert_string_equal(c->envp[1], "DVM_POD_IP=10.0.2.15");
	assert_null(c->envp[2]);
	assert_string_equal(c->workdir, "/srv/www");
	assert_string_equal(c->user, "app:staff");
	assert_int_equal(c->restart, PLAN_RESTART_ON_FAILURE);
	assert_int_equal(c->stopsignal, 3);
	assert_int_equal(c->n_groups, 2);
	assert_string_equal(c->groups[1], "8");
	assert_int_equal(c->tty, 1);
	assert_int_equal(c->readonly, 1);
	assert_string_equal(c->sysctl[0], "kernel.domainname=example");
	assert_string_equal(p.dns_search[0], "example.com");
	assert_string_equal(p.dns_options[0], "ndots:2");
	assert_int_equal(p.containers[1].readonly, 0);
	plan_release(&p);
}

static void test_defaults(void **state)
{
	struct plan p;
	struct errmsg e;
	const struct plan_container *c;

	assert_int_equal(parse("hpc-plan 1\nname solo\ncontainer a\n"
			       "rootfs r\narg true\nend\n", &p, &e), 0);
	assert_string_equal(p.hostname, "solo");
	assert_null(p.ip);
	assert_int_equal(p.n_dns, 0);
	assert_int_equal(p.n_modules, 0);
	c = &p.containers[0];
	assert_string_equal(c->workdir, "/");
	assert_null(c->user);
	assert_int_equal(c->envc, 0);
	assert_int_equal(c->restart, PLAN_RESTART_NEVER);
	assert_int_equal(c->stopsignal, SIGTERM);
	plan_release(&p);
}

/* "tty" is a pod key and a container key: each in its own scope. */
static void test_tty_scopes(void **state)
{
	struct plan p;
	struct errmsg e;

	assert_int_equal(parse("hpc-plan 1\ntty 1\ncontainer a\nrootfs r\n"
			       "arg sh\ntty 1\nend\ncontainer b\nrootfs r\n"
			       "arg true\nend\n", &p, &e), 0);
	assert_int_equal(p.tty, 1);
	assert_int_equal(p.containers[0].tty, 1);
	assert_int_equal(p.containers[1].tty, 0);
	plan_release(&p);
	assert_int_equal(parse("hpc-plan 1\ncontainer a\nrootfs r\narg sh\n"
			       "tty 2\nend\n", &p, &e), -EINVAL);
	assert_string_equal(e.msg, "plan line 5: '2' is not 0 or 1");
}

static void test_escapes(void **state)
{
	struct plan p;
	struct errmsg e;
	char **v;

	assert_int_equal(parse("hpc-plan 1\ncontainer a\nrootfs r\n"
			       "arg %25%0A%7F%09x\narg %3a%3A\narg \n"
			       "arg a  b \nend\n", &p, &e), 0);
	v = p.containers[0].argv;
	assert_string_equal(v[0], "%\n\x7f\tx");
	assert_string_equal(v[1], "::");
	assert_string_equal(v[2], "");
	assert_string_equal(v[3], "a  b ");
	assert_string_equal(p.name, "pod");
	assert_string_equal(p.hostname, "pod");
	plan_release(&p);
}

static void test_unknown_keys(void **state)
{
	struct plan p;
	struct errmsg e;

	assert_int_equal(parse("hpc-plan 1\nfuture-pod-key x y\nflag\n"
			       "container a\nrootfs r\nfuture-ctr 1\n"
			       "arg true\nend\n\n", &p, &e), 0);
	assert_int_equal(p.n_containers, 1);
	assert_int_equal(p.containers[0].argc, 1);
	plan_release(&p);
}

static void test_no_final_newline(void **state)
{
	struct plan p;
	struct errmsg e;

	assert_int_equal(parse("hpc-plan 1\ncontainer a\nrootfs r\narg x\nend",
			       &p, &e), 0);
	plan_release(&p);
}

struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "", "plan is empty" },
	{ "name x\n", "plan line 1: not a plan: it starts with 'name'" },
	{ "hpc-plan 2\n", "plan line 1: plan version 2 is not supported" },
	{ "hpc-plan one\n", "plan line 1: bad plan version 'one'" },
	{ "hpc-plan 1\n", "plan has no container" },
	{ "hpc-plan 1\nname a%4\n", "plan line 2: bad escape '%4'" },
	{ "hpc-plan 1\nname a%zz\n", "plan line 2: bad escape '%zz'" },
	{ "hpc-plan 1\nname a%\n", "plan line 2: bad escape '%'" },
	{ "hpc-plan 1\nname a%00\n", "plan line 2: escaped NUL byte" },
	{ "hpc-plan 1\nname a\tb\n",
	  "plan line 2: raw control byte in a value" },
	{ "hpc-plan 1\nname a\r\n",
	  "plan line 2: raw control byte in a value" },
	{ "hpc-plan 1\n name a\n", "plan line 2: line starts with a space" },
	{ "hpc-plan 1\ntty 2\n", "plan line 2: '2' is not 0 or 1" },
	{ "hpc-plan 1\narg x\n", "plan line 2: 'arg' outside a container" },
	{ "hpc-plan 1\nend\n", "plan line 2: 'end' outside a container" },
	{ "hpc-plan 1\ncontainer\n", "plan line 2: container without a name" },
	{ "hpc-plan 1\ncontainer a\nrootfs r\nend\n",
	  "plan line 4: container 'a' has no 'arg'" },
	{ "hpc-plan 1\ncontainer a\narg x\nend\n",
	  "plan line 4: container 'a' has no 'rootfs'" },
	{ "hpc-plan 1\ncontainer a\nrootfs r\narg x\n",
	  "plan ends inside container 'a' without 'end'" },
	{ "hpc-plan 1\ncontainer a\nrootfs r\narg x\ncontainer b\n",
	  "plan line 5: 'container' inside a container without 'end'" },
	{ "hpc-plan 1\ncontainer a\nrootfs r\narg x\nend\ncontainer a\n",
	  "plan line 6: container 'a' named twice" },
	{ "hpc-plan 1\ncontainer a\nrestart sometimes\n",
	  "plan line 3: unknown restart policy 'sometimes'" },
	{ "hpc-plan 1\ncontainer a\nstopsignal 0\n",
	  "plan line 3: '0' is not a signal number" },
	{ "hpc-plan 1\ncontainer a\nstopsignal -9\n",
	  "plan line 3: '-9' is not a signal number" },
	{ "hpc-plan 1\ncontainer a\nstopsignal TERM\n",
	  "plan line 3: 'TERM' is not a signal number" },
	{ "hpc-plan 1\ncontainer a\nenv NOEQUALS\n",
	  "plan line 3: env 'NOEQUALS' is not NAME=VALUE" },
	{ "hpc-plan 1\ncontainer a\nenv =x\n",
	  "plan line 3: env '=x' is not NAME=VALUE" },
	{ "hpc-plan 1\ncontainer a\nrootfs r\narg x\nend 1\n",
	  "plan line 5: 'end' takes no value" },
};

static void test_malformed(void **state)
{
	struct plan p;
	struct errmsg e;
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		assert_int_equal(parse(bad_cases[i].text, &p, &e), -EINVAL);
		assert_string_equal(e.msg, bad_cases[i].msg);
		assert_int_equal(p.n_containers, 0);
		assert_null(p.name);
	}
}

static void test_nul_byte(void **state)
{
	static const char text[] = "hpc-plan 1\nname a\0b\n";
	struct plan p;
	struct errmsg e;

	assert_int_equal(plan_parse(text, sizeof(text) - 1, &p, &e), -EINVAL);
	assert_string_equal(e.msg, "plan holds a NUL byte");
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_init_plan.XXXXXX";
	struct plan p;
	struct errmsg e;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_plan, strlen(full_plan)),
			 (ssize_t)strlen(full_plan));
	close(fd);
	assert_int_equal(plan_load(path, &p, &e), 0);
	assert_int_equal(p.n_containers, 2);
	plan_release(&p);
	unlink(path);
	assert_int_equal(plan_load(path, &p, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "cannot open plan"));
	assert_non_null(strstr(e.msg, path));
}

static void test_restart_names(void **state)
{
	assert_string_equal(plan_restart_name(PLAN_RESTART_NEVER), "never");
	assert_string_equal(plan_restart_name(PLAN_RESTART_ON_FAILURE),
			    "onFailure");
	assert_string_equal(plan_restart_name(PLAN_RESTART_ALWAYS), "always");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_plan),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_tty_scopes),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_restart_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
