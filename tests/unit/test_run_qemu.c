/*
 * test_run_qemu: the QEMU command of the runtime stub and its one-line
 * shell rendering for --dry-run, which /bin/sh must split back into the
 * same words.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qemu.h"

static const struct podimage_port ports[] = {
	{ .host_port = 8080, .container_port = 80 },
	{ .host_port = 5353, .container_port = 53, .udp = true },
};

static struct qemu_config config(enum accel a)
{
	return (struct qemu_config){
		.binary = "qemu-system-x86_64", .name = "web", .accel = a,
		.memory = 256, .cpus = 2, .kernel = "/t/kernel",
		.initrd = "/t/initrd", .cmdline = "console=ttyS0 quiet",
		.disk = "/img/pod.img", .exit_socket = "/t/exit.sock",
		.ports = ports, .n_ports = 2,
	};
}

/* The value that follows the n-th (from 0) occurrence of flag. */
static const char *value_of(char **argv, const char *flag, int n)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		if (!strcmp(argv[i], flag) && n-- == 0)
			return argv[i + 1];
	return NULL;
}

static bool has(char **argv, const char *flag, const char *value)
{
	int n;
	const char *v;

	for (n = 0; (v = value_of(argv, flag, n)); n++)
		if (!value || !strcmp(v, value))
			return true;
	return false;
}

static void test_argv_tcg(void **state)
{
	struct qemu_config c = config(ACCEL_TCG);
	char **argv = qemu_argv(&c);

	assert_string_equal(argv[0], "qemu-system-x86_64");
	assert_string_equal(value_of(argv, "-M", 0), "q35");
	assert_string_equal(value_of(argv, "-accel", 0), "tcg");
	assert_false(has(argv, "-cpu", NULL));
	assert_string_equal(value_of(argv, "-m", 0), "256");
	assert_string_equal(value_of(argv, "-smp", 0), "2");
	assert_true(has(argv, "-nodefaults", NULL));
	assert_true(has(argv, "-no-reboot", NULL));
	assert_string_equal(value_of(argv, "-display", 0), "none");
	assert_true(has(argv, "-chardev", "stdio,id=con,signal=off"));
	assert_string_equal(value_of(argv, "-serial", 0), "chardev:con");
	assert_string_equal(value_of(argv, "-kernel", 0), "/t/kernel");
	assert_string_equal(value_of(argv, "-initrd", 0), "/t/initrd");
	assert_string_equal(value_of(argv, "-append", 0),
			    "console=ttyS0 quiet");
	assert_string_equal(value_of(argv, "-drive", 0), "file=/img/pod.img,"
			    "format=raw,if=none,id=d0,snapshot=on");
	assert_true(has(argv, "-device", "virtio-blk-pci,drive=d0"));
	assert_true(has(argv, "-chardev",
			"socket,id=exit,path=/t/exit.sock,server=off"));
	assert_true(has(argv, "-device", "virtserialport,bus=vs0.0,"
			"chardev=exit,name=hpc.exit"));
	assert_string_equal(value_of(argv, "-netdev", 0), "user,id=n0,"
			    "hostfwd=tcp:127.0.0.1:8080-:80,"
			    "hostfwd=udp:127.0.0.1:5353-:53");
	assert_true(has(argv, "-device", "virtio-net-pci,netdev=n0,romfile="));
	strv_free(argv);
}

static void test_argv_kvm(void **state)
{
	struct qemu_config c = config(ACCEL_KVM);
	char **argv = qemu_argv(&c);

	assert_string_equal(value_of(argv, "-accel", 0), "kvm");
	assert_string_equal(value_of(argv, "-cpu", 0), "host");
	strv_free(argv);
}

/* A comma in a path must not start a new QEMU sub-option. */
static void test_argv_commas(void **state)
{
	struct qemu_config c = config(ACCEL_TCG);
	char **argv;

	c.disk = "/a,b/pod,readonly=off.img";
	c.exit_socket = "/t,x/exit.sock";
	c.name = "a,b";
	c.n_ports = 0;
	argv = qemu_argv(&c);
	assert_string_equal(value_of(argv, "-drive", 0),
			    "file=/a,,b/pod,,readonly=off.img,format=raw,"
			    "if=none,id=d0,snapshot=on");
	assert_true(has(argv, "-chardev",
			"socket,id=exit,path=/t,,x/exit.sock,server=off"));
	assert_string_equal(value_of(argv, "-name", 0), "hpc-a,,b");
	assert_string_equal(value_of(argv, "-netdev", 0), "user,id=n0");
	strv_free(argv);
}

/* SeaBIOS boots the disk: no kernel options, the disk first. */
static void test_argv_bios(void **state)
{
	struct qemu_config c = config(ACCEL_TCG);
	char **argv;

	c.boot = QEMU_BOOT_BIOS;
	c.disk_format = "qcow2";
	argv = qemu_argv(&c);
	assert_string_equal(value_of(argv, "-M", 0), "pc");
	assert_false(has(argv, "-kernel", NULL));
	assert_false(has(argv, "-initrd", NULL));
	assert_false(has(argv, "-append", NULL));
	assert_string_equal(value_of(argv, "-drive", 0), "file=/img/pod.img,"
			    "format=qcow2,if=none,id=d0,snapshot=on");
	assert_true(has(argv, "-device",
			"virtio-blk-pci,drive=d0,bootindex=0"));
	assert_false(has(argv, "-device", "virtio-blk-pci,drive=d0"));
	assert_true(has(argv, "-device", "virtserialport,bus=vs0.0,"
			"chardev=exit,name=hpc.exit"));
	assert_string_equal(value_of(argv, "-m", 0), "256");
	strv_free(argv);
}

/* OVMF on q35: its code read-only, this boot's own variables. */
static void test_argv_uefi(void **state)
{
	struct qemu_config c = config(ACCEL_TCG);
	char **argv;

	c.boot = QEMU_BOOT_UEFI;
	c.ovmf_vars = "/t,1/vars.fd";
	argv = qemu_argv(&c);
	assert_string_equal(value_of(argv, "-M", 0), "q35");
	assert_false(has(argv, "-kernel", NULL));
	assert_string_equal(value_of(argv, "-drive", 0), "if=pflash,"
			    "format=raw,readonly=on,file=" QEMU_OVMF_CODE);
	assert_string_equal(value_of(argv, "-drive", 1),
			    "if=pflash,format=raw,file=/t,,1/vars.fd");
	assert_string_equal(value_of(argv, "-drive", 2), "file=/img/pod.img,"
			    "format=raw,if=none,id=d0,snapshot=on");
	assert_true(has(argv, "-device",
			"virtio-blk-pci,drive=d0,bootindex=0"));
	assert_true(has(argv, "-netdev", NULL));
	strv_free(argv);
}

static void test_boot_names(void **state)
{
	static const char *const names[] = { "direct", "bios", "uefi" };
	enum qemu_boot b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		assert_int_equal(qemu_boot_parse(names[i], &b), 0);
		assert_int_equal(b, i);
		assert_string_equal(qemu_boot_name(b), names[i]);
	}
	assert_int_equal(qemu_boot_parse("nonsense", &b), -EINVAL);
	assert_int_equal(qemu_boot_parse("BIOS", &b), -EINVAL);
	assert_int_equal(qemu_boot_parse("", &b), -EINVAL);
}

static void test_quote_plain(void **state)
{
	char *argv[] = { "qemu", "-device", "virtio-net-pci,romfile=",
			 "-append", "console=ttyS0 quiet", "", "it's",
			 "$HOME", NULL };
	char *line = qemu_shell_quote(argv);

	assert_string_equal(line, "qemu -device virtio-net-pci,romfile="
			    " -append 'console=ttyS0 quiet' '' 'it'\\''s'"
			    " '$HOME'");
	free(line);
}

/* An '=' in the first word would make it an assignment. */
static void test_quote_first_word(void **state)
{
	char *argv[] = { "/opt/a=b/qemu", "x=y", NULL };
	char *line = qemu_shell_quote(argv);

	assert_string_equal(line, "'/opt/a=b/qemu' x=y");
	free(line);
}

/* /bin/sh splits the line back into exactly the words we quoted. */
static void test_quote_round_trip(void **state)
{
	char *argv[] = { "printf", "%s\\0", "a b", "", "'", "\"", "\\",
			 "$(id)", "`id`", "*", "~", "a\nb", "x;y", "#",
			 "ok=1", "é", NULL };
	char *line = qemu_shell_quote(argv), *cmd, out[512];
	size_t n, i, at = 0;
	FILE *p;

	cmd = xasprintf("cd /tmp && %s", line);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out), p);
	assert_int_equal(pclose(p), 0);
	for (i = 2; argv[i]; i++) {
		assert_true(at < n);
		assert_string_equal(out + at, argv[i]);
		at += strlen(argv[i]) + 1;
	}
	assert_int_equal(at, n);
	free(cmd);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_tcg),
		cmocka_unit_test(test_argv_kvm),
		cmocka_unit_test(test_argv_commas),
		cmocka_unit_test(test_argv_bios),
		cmocka_unit_test(test_argv_uefi),
		cmocka_unit_test(test_boot_names),
		cmocka_unit_test(test_quote_plain),
		cmocka_unit_test(test_quote_first_word),
		cmocka_unit_test(test_quote_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
