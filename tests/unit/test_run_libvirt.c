/*
 * test_run_libvirt: the libvirt domain of "hpc run --emit libvirt": the
 * firmware and machine of each boot, the disk's format and path (XML
 * escaped), the network with and without published ports, the console
 * and the exit channel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libvirt.h"

static const struct podimage_port ports[] = {
	{ .host_port = 8080, .container_port = 80 },
	{ .host_port = 0, .container_port = 53, .udp = true },
};

static struct qemu_config config(void)
{
	return (struct qemu_config){
		.name = "web", .accel = ACCEL_KVM, .memory = 192, .cpus = 2,
		.boot = QEMU_BOOT_BIOS, .disk = "/img/pod.img",
		.disk_format = "raw",
	};
}

/* The domain for c, as one string the caller frees. */
static char *domain(const struct qemu_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(libvirt_domain(f, c), 0);
	fclose(f);
	return buf;
}

static void expect(const char *xml, const char *part)
{
	if (!strstr(xml, part))
		fail_msg("no '%s' in:\n%s", part, xml);
}

static void test_bios(void **state)
{
	struct qemu_config c = config();
	char *x = domain(&c);

	expect(x, "<domain type='kvm'>");
	expect(x, "<name>hpc-web</name>");
	expect(x, "<memory unit='MiB'>192</memory>");
	expect(x, "<vcpu>2</vcpu>");
	expect(x, "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>");
	expect(x, "<driver name='qemu' type='raw'/>");
	expect(x, "<source file='/img/pod.img'/>");
	expect(x, "<target dev='vda' bus='virtio'/>\n      <transient/>");
	expect(x, "<on_poweroff>destroy</on_poweroff>");
	expect(x, "<interface type='user'>\n      <model type='virtio'/>");
	assert_null(strstr(x, "passt"));
	expect(x, "<console type='pty'>\n      <target type='serial'");
	expect(x, "<target type='virtio' name='hpc.exit'/>");
	free(x);
}

static void test_uefi_qcow2_tcg(void **state)
{
	struct qemu_config c = config();
	char *x;

	c.boot = QEMU_BOOT_UEFI;
	c.accel = ACCEL_TCG;
	c.disk_format = "qcow2";
	x = domain(&c);
	expect(x, "<domain type='qemu'>");
	expect(x, "<os firmware='efi'>\n"
	       "    <type arch='x86_64' machine='q35'>hvm</type>");
	expect(x, "<driver name='qemu' type='qcow2'/>");
	free(x);
}

/* Port forwards need passt; hostPort 0 publishes the container port. */
static void test_ports(void **state)
{
	struct qemu_config c = config();
	char *x;

	c.ports = ports;
	c.n_ports = 2;
	x = domain(&c);
	expect(x, "<backend type='passt'/>");
	expect(x, "<ip family='ipv4' address='10.0.2.15' prefix='24'/>");
	expect(x, "<portForward proto='tcp' address='127.0.0.1'>\n"
	       "        <range start='8080' to='80'/>");
	expect(x, "<portForward proto='udp' address='127.0.0.1'>\n"
	       "        <range start='53' to='53'/>");
	free(x);
}

static void test_escaping(void **state)
{
	struct qemu_config c = config();
	char *x;

	c.name = "a<b>&'\"";
	c.disk = "/i'mg/<p>&.img";
	x = domain(&c);
	expect(x, "<name>hpc-a&lt;b&gt;&amp;&apos;&quot;</name>");
	expect(x, "<source file='/i&apos;mg/&lt;p&gt;&amp;.img'/>");
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios),
		cmocka_unit_test(test_uefi_qcow2_tcg),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
