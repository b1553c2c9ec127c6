/*
 * Unit tests for plan: Docker's merge of pod and image config, and the
 * plan's text encoding.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "shellsplit.h"

static char *img_env[] = { "PATH=/img/bin", "A=image", NULL };
static char *img_entry[] = { "/entry", NULL };
static char *img_cmd[] = { "default-arg", NULL };

static const struct image_config cfg = {
	.env = img_env,
	.entrypoint = img_entry,
	.cmd = img_cmd,
	.working_dir = "/srv",
	.user = "daemon",
	.stop_signal = "SIGQUIT",
};

static struct spec_pod pod = { .name = "p", .hostname = "p" };

static void merge(struct spec_container *ct, const struct image_config *c,
		  struct plan_container *out)
{
	struct hpc_err err;

	ct->name = "c";
	ct->image = "img";
	assert_int_equal(plan_container_merge(&pod, ct, c, "hpc-root-0", out,
					      &err), 0);
}

static void release(struct plan_container *c)
{
	struct plan p = { .containers = c, .n_containers = 1 };

	p.containers = malloc(sizeof(*c));
	*p.containers = *c;
	plan_release(&p);
}

static void image_defaults(void **state)
{
	struct spec_container ct = { 0 };
	struct plan_container out;

	merge(&ct, &cfg, &out);
	assert_string_equal(out.argv[0], "/entry");
	assert_string_equal(out.argv[1], "default-arg");
	assert_null(out.argv[2]);
	assert_string_equal(out.env[0], "PATH=/img/bin");
	assert_string_equal(out.env[2], "DVM_POD_IP=" PLAN_POD_IP);
	assert_string_equal(out.env[3], "HOSTNAME=p");
	assert_string_equal(out.workdir, "/srv");
	assert_string_equal(out.user, "daemon");
	assert_int_equal(out.stop_signal, 3);
	release(&out);
}

static void pod_entrypoint_resets_cmd(void **state)
{
	char *entry[] = { "/bin/sh", NULL };
	char *env[] = { "A=pod", "B=new", NULL };
	struct spec_container ct = { .entrypoint = entry, .env = env,
				     .workdir = "/w" };
	struct plan_container out;

	merge(&ct, &cfg, &out);
	assert_string_equal(out.argv[0], "/bin/sh");
	assert_null(out.argv[1]);
	assert_string_equal(out.env[1], "A=pod");
	assert_string_equal(out.env[2], "B=new");
	assert_string_equal(out.workdir, "/w");
	release(&out);
}

static void pod_command_keeps_entrypoint(void **state)
{
	char *cmd[] = { "x", "y", NULL };
	struct spec_container ct = { .command = cmd };
	struct image_config bare = { 0 };
	struct plan_container out;

	merge(&ct, &cfg, &out);
	assert_string_equal(out.argv[0], "/entry");
	assert_string_equal(out.argv[2], "y");
	release(&out);

	merge(&ct, &bare, &out);
	assert_string_equal(out.argv[0], "x");
	assert_string_equal(out.env[0], "PATH=" PLAN_DEFAULT_PATH);
	assert_string_equal(out.workdir, "/");
	assert_string_equal(out.user, "");
	assert_int_equal(out.stop_signal, 15);
	release(&out);
}

static void no_command_is_an_error(void **state)
{
	struct spec_container ct = { .name = "c", .image = "img" };
	struct image_config bare = { .stop_signal = "SIGNOPE" };
	struct plan_container out;
	struct hpc_err err;

	assert_int_equal(plan_container_merge(&pod, &ct, &bare, "r", &out, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "unknown StopSignal 'SIGNOPE'"));
	bare.stop_signal = NULL;
	assert_int_equal(plan_container_merge(&pod, &ct, &bare, "r", &out, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no command to run"));
}

static void encoding_escapes(void **state)
{
	char *argv[] = { "sh", "-c", "echo 100%\nexit 7", NULL };
	char *env[] = { "A=1", NULL };
	char *mods[] = { "/lib/modules/virtio.ko", NULL };
	char *groups[] = { "cdrom", "8", NULL };
	char *sysctl[] = { "kernel.domainname=d", NULL };
	char *dns[] = { "1.1.1.1", NULL }, *search[] = { "a.b", NULL };
	struct plan_container c = { .name = "web", .rootfs = "hpc-root-0",
				    .argv = argv, .env = env, .workdir = "/",
				    .user = "", .stop_signal = 15,
				    .groups = groups, .sysctl = sysctl,
				    .read_only = true };
	struct plan p = { .name = "pod", .hostname = "pod", .modules = mods,
			  .dns = dns, .dns_search = search,
			  .containers = &c, .n_containers = 1 };
	char *text = plan_encode(&p);

	assert_non_null(strstr(text, "hpc-plan 1\nname pod\n"));
	assert_non_null(strstr(text, "module /lib/modules/virtio.ko\n"
				     "container web\nrootfs hpc-root-0\n"
				     "arg sh\narg -c\narg echo 100%25%0Aexit 7\n"));
	assert_non_null(strstr(text, "dns 1.1.1.1\ndnssearch a.b\ntty 0\n"));
	assert_non_null(strstr(text, "user\ngroup cdrom\ngroup 8\n"
				     "restart never\nstopsignal 15\n"
				     "sidecar 0\nreadonly 1\n"
				     "sysctl kernel.domainname=d\nend\n"));
	free(text);
}

static void signals_and_words(void **state)
{
	char **w;

	assert_int_equal(plan_signal_number("SIGKILL"), 9);
	assert_int_equal(plan_signal_number("term"), 15);
	assert_int_equal(plan_signal_number("10"), 10);
	assert_int_equal(plan_signal_number("99"), -1);
	w = shell_split("a 'b c' \"d\\\"e\" f\\ g ''");
	assert_int_equal(strv_len(w), 5);
	assert_string_equal(w[1], "b c");
	assert_string_equal(w[2], "d\"e");
	assert_string_equal(w[3], "f g");
	assert_string_equal(w[4], "");
	strv_free(w);
	assert_null(shell_split("a 'b"));
}

/* As docker run -e HOSTNAME=x: the pod's own values of these win. */
static void pod_sets_reserved(void **state)
{
	char *env[] = { "HOSTNAME=x", "DVM_POD_IP=1.2.3.4", NULL };
	struct spec_container ct = { .env = env };
	struct plan_container out;
	size_t i, hostnames = 0;

	(void)state;
	merge(&ct, &cfg, &out);
	for (i = 0; out.env[i]; i++) {
		if (!strncmp(out.env[i], "HOSTNAME=", 9)) {
			assert_string_equal(out.env[i], "HOSTNAME=x");
			hostnames++;
		}
		if (!strncmp(out.env[i], "DVM_POD_IP=", 11))
			assert_string_equal(out.env[i], "DVM_POD_IP=1.2.3.4");
	}
	assert_int_equal(hostnames, 1);
	release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_defaults),
		cmocka_unit_test(pod_entrypoint_resets_cmd),
		cmocka_unit_test(pod_command_keeps_entrypoint),
		cmocka_unit_test(no_command_is_an_error),
		cmocka_unit_test(encoding_escapes),
		cmocka_unit_test(signals_and_words),
		cmocka_unit_test(pod_sets_reserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
