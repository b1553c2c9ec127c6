/*
 * test_run_manifest: the runtime stub's manifest parser and GPT reader.
 * The GPT cases use disks that sgdisk lays out, so the reader is checked
 * against an independent writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gpt_read.h"
#include "podimage.h"

#define HASH_A "sha256:" \
	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static const char good[] =
	"{ \"format\": 1, \"name\": \"web\", \"hostname\": \"web-0\",\n"
	"  \"cmdline\": \"console=ttyS0 quiet\",\n"
	"  \"resources\": { \"memory\": 512, \"vcpu\": 2 }, \"tty\": true,\n"
	"  \"kernel\": { \"offset\": 2097152, \"size\": 5, \"sha256\": \""
	HASH_A "\" },\n"
	"  \"initrd\": { \"offset\": 4194304, \"size\": 7, \"sha256\": \""
	HASH_A "\" },\n"
	"  \"ports\": [ { \"containerPort\": 80, \"hostPort\": 8080 },\n"
	"    { \"containerPort\": 53, \"protocol\": \"udp\" } ],\n"
	"  \"containers\": [ { \"name\": \"a\" }, { \"name\": \"b\" } ],\n"
	"  \"pod\": { \"anything\": [1, 2] } }";

static int parse(const char *json, struct podimage_manifest *m,
		 struct hpc_err *err)
{
	return podimage_parse(json, strlen(json), m, err);
}

static void test_parse_good(void **state)
{
	struct podimage_manifest m;
	struct hpc_err err = { "" };

	assert_int_equal(parse(good, &m, &err), 0);
	assert_string_equal(m.name, "web");
	assert_string_equal(m.hostname, "web-0");
	assert_string_equal(m.cmdline, "console=ttyS0 quiet");
	assert_int_equal(m.memory, 512);
	assert_int_equal(m.vcpu, 2);
	assert_true(m.tty);
	assert_int_equal(m.kernel.offset, 2097152);
	assert_int_equal(m.kernel.size, 5);
	assert_int_equal(m.kernel.sha256[0], 0x2c);
	assert_int_equal(m.kernel.sha256[31], 0x24);
	assert_int_equal(m.initrd.offset, 4194304);
	assert_int_equal(m.n_ports, 2);
	assert_int_equal(m.ports[0].host_port, 8080);
	assert_int_equal(m.ports[0].container_port, 80);
	assert_false(m.ports[0].udp);
	assert_int_equal(m.ports[1].host_port, 0);
	assert_true(m.ports[1].udp);
	assert_string_equal(m.containers[0], "a");
	assert_string_equal(m.containers[1], "b");
	assert_null(m.containers[2]);
	podimage_release(&m);
}

static void test_parse_defaults(void **state)
{
	struct podimage_manifest m;
	struct hpc_err err = { "" };
	const char *json = "{\"format\":1,\"cmdline\":\"\",\"hostname\":\"\","
		"\"kernel\":{\"offset\":0,\"size\":1,\"sha256\":\"" HASH_A "\"},"
		"\"initrd\":{\"offset\":1,\"size\":1,\"sha256\":\"" HASH_A "\"}}";

	assert_int_equal(parse(json, &m, &err), 0);
	assert_string_equal(m.name, "pod");
	assert_int_equal(m.memory, 128);
	assert_int_equal(m.vcpu, 1);
	assert_false(m.tty);
	assert_int_equal(m.n_ports, 0);
	assert_null(m.containers);
	podimage_release(&m);
}

/* Each broken document, and the start of the message it must give. */
static const struct {
	const char *json;
	const char *msg;
} bad_cases[] = {
	{ "", "invalid JSON at line 1, column 1" },
	{ "{\n  \"format\": 1,\n  \"name\": x }", "invalid JSON at line 3" },
	{ "[1]", "expected a JSON object" },
	{ "{}", "format is missing" },
	{ "{\"format\": 2}", "format 2 is not supported (this hpc reads 1)" },
	{ "{\"format\": \"1\"}", "format: expected an integer" },
	{ "{\"format\": 1}", "cmdline is missing" },
	{ "{\"format\": 1, \"cmdline\": 3}", "cmdline: expected a string" },
	{ "{\"format\": 1, \"cmdline\": \"\"}", "kernel: expected an object" },
	{ "{\"format\": 1, \"cmdline\": \"\", \"kernel\": {\"offset\": -1}}",
	  "kernel.offset: expected an integer from 0 to" },
	{ "{\"format\": 1, \"cmdline\": \"\", \"kernel\": {\"offset\": 1.5}}",
	  "kernel.offset: expected an integer" },
	{ "{\"format\": 1, \"cmdline\": \"\", \"kernel\": {\"offset\": 0,"
	  " \"size\": 1, \"sha256\": \"sha256:00\"}}",
	  "kernel.sha256: expected \"sha256:\" and 64 hex digits" },
	{ "{\"format\": 1, \"cmdline\": \"\", \"kernel\": {\"offset\": 0,"
	  " \"size\": 1}}", "kernel.sha256 is missing" },
	{ "{\"format\": 1, \"cmdline\": \"\", \"tty\": 1}",
	  "tty: expected true or false" },
	{ "{\"format\": 1, \"cmdline\": \"\", \"resources\": {\"vcpu\": 0}}",
	  "resources.vcpu: expected an integer from 1 to 255" },
	{ "{\"format\":1,\"cmdline\":\"\",\"kernel\":{\"offset\":0,\"size\":1,"
	  "\"sha256\":\"" HASH_A "\"},\"initrd\":{\"offset\":1,\"size\":1,"
	  "\"sha256\":\"" HASH_A "\"}}", "hostname is missing" },
	{ "{\"format\":1,\"cmdline\":\"\",\"kernel\":{\"offset\":0,\"size\":1,"
	  "\"sha256\":\"" HASH_A "\"},\"initrd\":{\"offset\":1,\"size\":1,"
	  "\"sha256\":\"" HASH_A "\"},\"hostname\":7}",
	  "hostname: expected a string" },
};

static void test_parse_bad(void **state)
{
	struct podimage_manifest m;
	struct hpc_err err;
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(parse(bad_cases[i].json, &m, &err), -EINVAL);
		if (strncmp(err.msg, bad_cases[i].msg,
			    strlen(bad_cases[i].msg)))
			fail_msg("case %zu: got '%s'", i, err.msg);
	}
}

/* A bad port, after good fields: the port's path is in the message. */
static void test_parse_bad_port(void **state)
{
	struct podimage_manifest m;
	struct hpc_err err = { "" };
	char *json = strdup(good), *p = strstr(json, "\"udp\"");

	memcpy(p, "\"sct\"", 5);
	assert_int_equal(parse(json, &m, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "ports[1].protocol: expected \"tcp\" or \"udp\"");
	free(json);
}

struct disk {
	char dir[64];
	char path[96];
};

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void pwrite_str(const char *path, const char *s, size_t n, off_t at)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, s, n, at), (ssize_t)n);
	close(fd);
}

/*
 * An 8 MiB disk: hpc-bios at 1 MiB (1 MiB), hpc-esp at 2 MiB (2 MiB),
 * hpc-manifest at 4 MiB (1 MiB), "hello" at 2 MiB and "initrd!" at 3 MiB.
 */
static int disk_setup(void **state)
{
	struct disk *d = calloc(1, sizeof(*d));
	char cmd[512];

	snprintf(d->dir, sizeof(d->dir), "/tmp/test_run_manifest.XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->path, sizeof(d->path), "%s/disk.img", d->dir);
	snprintf(cmd, sizeof(cmd), "truncate -s 8M %s && sgdisk"
		 " -n 1:2048:+1M -t 1:ef02 -c 1:hpc-bios"
		 " -n 2:0:+2M -t 2:ef00 -c 2:hpc-esp"
		 " -n 3:0:+1M -c 3:hpc-manifest %s >/dev/null 2>&1",
		 d->path, d->path);
	sh(cmd);
	pwrite_str(d->path, "hello", 5, 2 << 20);
	pwrite_str(d->path, "initrd!", 7, 3 << 20);
	*state = d;
	return 0;
}

static int disk_teardown(void **state)
{
	struct disk *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->dir);
	sh(cmd);
	free(d);
	return 0;
}

static int find(const struct disk *d, const char *name, struct gpt_part *p,
		struct hpc_err *err)
{
	int fd = open(d->path, O_RDONLY), r;

	assert_true(fd >= 0);
	r = gpt_find(fd, d->path, name, p, err);
	close(fd);
	return r;
}

static void test_gpt_find(void **state)
{
	struct disk *d = *state;
	struct hpc_err err = { "" };
	struct gpt_part p;

	assert_int_equal(find(d, "hpc-bios", &p, &err), 0);
	assert_int_equal(p.offset, 1 << 20);
	assert_int_equal(p.size, 1 << 20);
	assert_int_equal(find(d, "hpc-esp", &p, &err), 0);
	assert_int_equal(p.offset, 2 << 20);
	assert_int_equal(p.size, 2 << 20);
	assert_int_equal(find(d, "hpc-manifest", &p, &err), 0);
	assert_int_equal(p.offset, 4 << 20);
	assert_string_equal(p.name, "hpc-manifest");
	assert_int_equal(find(d, "hpc-root-0", &p, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "has no 'hpc-root-0' partition"));
	/* Names match whole, not as prefixes. */
	assert_int_equal(find(d, "hpc", &p, &err), -ENOENT);
}

static void test_gpt_corrupt(void **state)
{
	struct disk *d = *state;
	struct hpc_err err = { "" };
	struct gpt_part p;

	/* A name in the entry array (LBA 2): the array's CRC fails. */
	pwrite_str(d->path, "X", 1, 1024 + 128 + 56);
	assert_int_equal(find(d, "hpc-esp", &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "corrupt GPT partition array"));
	/* The header's own fields: its CRC fails. */
	pwrite_str(d->path, "X", 1, 512 + 40);
	assert_int_equal(find(d, "hpc-esp", &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "has a corrupt GPT header"));
	/* No signature at all. */
	pwrite_str(d->path, "\0", 1, 512);
	assert_int_equal(find(d, "hpc-esp", &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a GPT disk"));
}

static void test_gpt_short_file(void **state)
{
	struct disk *d = *state;
	struct hpc_err err = { "" };
	struct gpt_part p;

	pwrite_str(d->path, "", 0, 0);
	assert_int_equal(truncate(d->path, 100), 0);
	assert_int_equal(find(d, "hpc-esp", &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a GPT disk"));
}

/* json and, after its NUL, its seal, as the build writes them. */
static void write_manifest(const struct disk *d, const char *json)
{
	char zeros[4096] = { 0 }, seal[PODIMAGE_SEAL_LEN + 1];

	podimage_seal(json, strlen(json), seal);
	pwrite_str(d->path, zeros, sizeof(zeros), 4 << 20);
	pwrite_str(d->path, json, strlen(json), 4 << 20);
	pwrite_str(d->path, seal, PODIMAGE_SEAL_LEN,
		   (4 << 20) + (off_t)strlen(json) + 1);
}

static const char disk_manifest[] =
	"{\"format\":1,\"cmdline\":\"console=ttyS0\",\"hostname\":\"h\","
	"\"kernel\":{\"offset\":2097152,\"size\":5,\"sha256\":\"" HASH_A "\"},"
	"\"initrd\":{\"offset\":3145728,\"size\":7,\"sha256\":\"" HASH_A "\"}}";

static void test_read_and_extract(void **state)
{
	struct disk *d = *state;
	struct podimage_manifest m;
	struct hpc_err err = { "" };
	char dest[128], buf[16] = { 0 };
	int fd;

	write_manifest(d, disk_manifest);
	assert_int_equal(podimage_read(d->path, &m, &err), 0);
	assert_string_equal(m.cmdline, "console=ttyS0");
	snprintf(dest, sizeof(dest), "%s/kernel", d->dir);
	assert_int_equal(podimage_extract(d->path, &m.kernel, "kernel", dest,
					  &err), 0);
	fd = open(dest, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	close(fd);
	/* It never overwrites a file. */
	assert_int_equal(podimage_extract(d->path, &m.kernel, "kernel", dest,
					  &err), -EEXIST);
	snprintf(dest, sizeof(dest), "%s/initrd", d->dir);
	assert_int_equal(podimage_extract(d->path, &m.initrd, "initrd", dest,
					  &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "the initrd in '"));
	assert_non_null(strstr(err.msg, "does not match its sha256"));
	assert_int_equal(access(dest, F_OK), -1);
	podimage_release(&m);
}

static void test_read_errors(void **state)
{
	struct disk *d = *state;
	struct podimage_manifest m;
	struct hpc_err err = { "" };
	char *json = NULL;
	size_t len;

	write_manifest(d, "{\"format\":1,\"cmdline\":\"\",\"hostname\":\"h\","
		"\"kernel\":{\"offset\":8388600,\"size\":9,\"sha256\":\""
		HASH_A "\"},\"initrd\":{\"offset\":0,\"size\":1,\"sha256\":\""
		HASH_A "\"}}");
	assert_int_equal(podimage_read(d->path, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg,
			       "the kernel range ends past the end of the image"));
	/* One byte of a value changed: valid JSON, but not what was sealed. */
	write_manifest(d, disk_manifest);
	pwrite_str(d->path, "1", 1, (4 << 20) + 1 + (off_t)strlen(
		   "{\"format\":1,\"cmdline\":\"console=ttyS0\",\"hostname\":\"h\","
		   "\"kernel\":{\"offset\":"));
	assert_int_equal(podimage_read(d->path, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "': the manifest does not match the "
			       "sha256 stored after it"));
	assert_int_equal(podimage_read_json(d->path, &json, &len, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "does not match the sha256"));
	/* No seal at all, as images were written before it. */
	write_manifest(d, disk_manifest);
	pwrite_str(d->path, "\0", 1, (4 << 20) + (off_t)strlen(disk_manifest)
		   + 1);
	assert_int_equal(podimage_read(d->path, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "': the manifest has no sha256 after "
			       "it (an image from an older hpc"));
	write_manifest(d, "{\"format\":1,");
	assert_int_equal(podimage_read(d->path, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bad manifest in '"));
	assert_non_null(strstr(err.msg, "': invalid JSON at line 1"));
	assert_int_equal(podimage_read("/nonexistent.img", &m, &err), -ENOENT);
	assert_string_equal(err.msg, "cannot open '/nonexistent.img': "
			    "No such file or directory");
	assert_int_equal(podimage_read("/tmp", &m, &err), -EINVAL);
	assert_string_equal(err.msg, "'/tmp' is a directory, not a disk image file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_bad_port),
		cmocka_unit_test_setup_teardown(test_gpt_find, disk_setup,
						disk_teardown),
		cmocka_unit_test_setup_teardown(test_gpt_corrupt, disk_setup,
						disk_teardown),
		cmocka_unit_test_setup_teardown(test_gpt_short_file, disk_setup,
						disk_teardown),
		cmocka_unit_test_setup_teardown(test_read_and_extract,
						disk_setup, disk_teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, disk_setup,
						disk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
