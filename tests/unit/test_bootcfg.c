/*
 * Unit tests for packer/bootcfg.c: the grub.cfg text, checked word for
 * word and by GRUB's own script parser (grub-script-check); words the
 * script treats specially are quoted, and what cannot reach the kernel as
 * written is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bootcfg.h"

/* script_check - grub-script-check's verdict on text. */
static int script_check(const char *text)
{
	char path[] = "/tmp/hpc-test-bootcfg-XXXXXX", cmd[128];
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "grub-script-check %s 2>/dev/null", path);
	rc = system(cmd);
	unlink(path);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_default(void **state)
{
	struct hpc_err err = { "" };
	char *cfg = NULL;

	assert_int_equal(bootcfg_grub(BOOTCFG_CMDLINE, &cfg, &err), 0);
	assert_non_null(strstr(cfg, "\nserial --unit=0 --speed=115200\n"
			       "terminal_input serial console\n"
			       "terminal_output serial console\n"
			       "set timeout=0\n"
			       "linux /vmlinuz console=tty0 console=ttyS0 "
			       "panic=-1 quiet cryptomgr.notests\n"
			       "initrd /initrd.img\n"
			       "boot\n"));
	assert_int_equal(cfg[strlen(cfg) - 1], '\n');
	assert_int_equal(script_check(cfg), 0);
	/* the serial console comes last, so it is /dev/console */
	assert_true(strstr(BOOTCFG_CMDLINE, "console=ttyS0") >
		    strstr(BOOTCFG_CMDLINE, "console=tty0"));
	free(cfg);
}

static void test_quoting(void **state)
{
	struct hpc_err err = { "" };
	char *cfg = NULL;

	assert_int_equal(bootcfg_grub("  a=b   c$d;e it's {x} # ", &cfg,
				      &err), 0);
	assert_non_null(strstr(cfg, "\nlinux /vmlinuz a=b 'c$d;e' "
			       "'it'\\''s' '{x}' '#'\ninitrd"));
	assert_int_equal(script_check(cfg), 0);
	free(cfg);
	assert_int_equal(bootcfg_grub("", &cfg, &err), 0);
	assert_non_null(strstr(cfg, "\nlinux /vmlinuz\ninitrd"));
	free(cfg);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"a\nb", "tab\there", "q=\"x y\"", "back\\slash", "del\x7f",
	};
	struct hpc_err err = { "" };
	char *cfg = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = '\0';
		assert_int_equal(bootcfg_grub(bad[i], &cfg, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "kernel command line"));
	}
	assert_null(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
