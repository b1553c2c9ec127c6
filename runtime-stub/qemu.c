/*
 * qemu: build the QEMU argv from a table of options. See qemu.h.
 *
 * Measured choices (DESIGN.md, boot-spike notes): "-M pc" because microvm
 * hangs in about one boot in five under TCG; -nodefaults and romfile= on
 * the NIC skip the DVD probe and the iPXE ROM; -no-reboot turns a guest
 * panic (panic=-1 on the command line) into QEMU's exit. "-display none"
 * rather than -nographic: both leave no window, but -nographic also turns
 * on SeaBIOS's serial console, which resets the user's terminal and
 * prints its banner before the kernel starts. The console is a stdio
 * chardev with signal=off, so a Ctrl-C typed on the terminal goes to the
 * guest instead of killing QEMU.
 */
#include "qemu.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct qemu_opt {
	const char *flag;
	const char *value;		/* a fixed value, or NULL */
	char *(*make)(const struct qemu_config *c); /* a computed value */
	bool kvm_only;
};

/* QEMU option strings take ",," for a literal comma in a value. */
static char *opt_escape(const char *s)
{
	size_t n = strlen(s), i, j = 0;
	char *out = xmalloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		out[j++] = s[i];
		if (s[i] == ',')
			out[j++] = ',';
	}
	out[j] = '\0';
	return out;
}

static char *opt_name(const struct qemu_config *c)
{
	char *name = opt_escape(c->name), *v;

	v = xasprintf("hpc-%s", name);
	free(name);
	return v;
}

static char *opt_accel(const struct qemu_config *c)
{
	return xstrdup(accel_name(c->accel));
}

static char *opt_memory(const struct qemu_config *c)
{
	return xasprintf("%u", c->memory);
}

static char *opt_smp(const struct qemu_config *c)
{
	return xasprintf("%u", c->cpus);
}

static char *opt_kernel(const struct qemu_config *c)
{
	return xstrdup(c->kernel);
}

static char *opt_initrd(const struct qemu_config *c)
{
	return xstrdup(c->initrd);
}

static char *opt_append(const struct qemu_config *c)
{
	return xstrdup(c->cmdline);
}

/*
 * A snapshot, not read-only: volumes are mounted read-write in the
 * guest, and their writes go to QEMU's temporary overlay, so booting
 * still never changes the image.
 */
static char *opt_drive(const struct qemu_config *c)
{
	char *file = opt_escape(c->disk), *v;

	v = xasprintf("file=%s,format=raw,if=none,id=d0,snapshot=on", file);
	free(file);
	return v;
}

/* QEMU connects to the socket "hpc run" listens on (server=off). */
static char *opt_exit_chardev(const struct qemu_config *c)
{
	char *path = opt_escape(c->exit_socket), *v;

	v = xasprintf("socket,id=exit,path=%s,server=off", path);
	free(path);
	return v;
}

static char *opt_netdev(const struct qemu_config *c)
{
	char *v = xstrdup("user,id=n0"), *next;
	size_t i;

	for (i = 0; i < c->n_ports; i++) {
		const struct podimage_port *p = &c->ports[i];

		next = xasprintf("%s,hostfwd=%s:127.0.0.1:%u-:%u", v,
				 p->udp ? "udp" : "tcp", p->host_port,
				 p->container_port);
		free(v);
		v = next;
	}
	return v;
}

static const struct qemu_opt qemu_opts[] = {
	{ .flag = "-name", .make = opt_name },
	{ .flag = "-M", .value = "pc" },
	{ .flag = "-accel", .make = opt_accel },
	{ .flag = "-cpu", .value = "host", .kvm_only = true },
	{ .flag = "-m", .make = opt_memory },
	{ .flag = "-smp", .make = opt_smp },
	{ .flag = "-nodefaults" },
	{ .flag = "-no-reboot" },
	{ .flag = "-display", .value = "none" },
	{ .flag = "-chardev", .value = "stdio,id=con,signal=off" },
	{ .flag = "-serial", .value = "chardev:con" },
	{ .flag = "-kernel", .make = opt_kernel },
	{ .flag = "-initrd", .make = opt_initrd },
	{ .flag = "-append", .make = opt_append },
	{ .flag = "-drive", .make = opt_drive },
	{ .flag = "-device", .value = "virtio-blk-pci,drive=d0" },
	{ .flag = "-device", .value = "virtio-serial-pci,id=vs0" },
	{ .flag = "-chardev", .make = opt_exit_chardev },
	{ .flag = "-device",
	  .value = "virtserialport,bus=vs0.0,chardev=exit,name=" QEMU_EXIT_PORT },
	{ .flag = "-netdev", .make = opt_netdev },
	{ .flag = "-device", .value = "virtio-net-pci,netdev=n0,romfile=" },
};

char **qemu_argv(const struct qemu_config *c)
{
	char **argv = NULL, *v;
	size_t i;

	strv_push(&argv, c->binary);
	for (i = 0; i < ARRAY_SIZE(qemu_opts); i++) {
		const struct qemu_opt *o = &qemu_opts[i];

		if (o->kvm_only && c->accel != ACCEL_KVM)
			continue;
		strv_push(&argv, o->flag);
		if (o->value) {
			strv_push(&argv, o->value);
		} else if (o->make) {
			v = o->make(c);
			strv_push(&argv, v);
			free(v);
		}
	}
	return argv;
}

/*
 * Words made only of these need no quotes in any POSIX shell; '=' is
 * safe except in the first word, where it would make an assignment.
 */
static bool shell_safe(const char *s, bool first)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-";

	if (first && strchr(s, '='))
		return false;
	return *s && strspn(s, safe) == strlen(s);
}

/* Append s to out at *len, single-quoted where needed. */
static void quote_word(char **out, size_t *len, const char *s, bool first)
{
	size_t n = strlen(s), j = *len;
	const char *p;

	*out = xrealloc(*out, j + 4 * n + 4);
	if (shell_safe(s, first)) {
		memcpy(*out + j, s, n);
		*len = j + n;
		return;
	}
	(*out)[j++] = '\'';
	for (p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(*out + j, "'\\''", 4);
			j += 4;
		} else {
			(*out)[j++] = *p;
		}
	}
	(*out)[j++] = '\'';
	*len = j;
}

char *qemu_shell_quote(char *const *argv)
{
	char *out = xstrdup("");
	size_t len = 0, i;

	for (i = 0; argv[i]; i++) {
		if (i) {
			out = xrealloc(out, len + 2);
			out[len++] = ' ';
		}
		quote_word(&out, &len, argv[i], i == 0);
	}
	out = xrealloc(out, len + 1);
	out[len] = '\0';
	return out;
}
