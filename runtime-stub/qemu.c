/*
 * qemu: build the QEMU argv from a table of options. See qemu.h.
 *
 * Measured choices (DESIGN.md, boot-spike notes, docs/decisions.md): a
 * direct boot is on "-M q35" because microvm hangs in about one boot in
 * five under TCG, and because "-M pc" computes its PCI interrupt routing
 * (_PRT) in an AML loop that the guest runs again for every PCI device it
 * enables, about 0.1 s a device under TCG; -nodefaults and romfile= on
 * the NIC skip the DVD probe and the iPXE ROM; -no-reboot turns a guest
 * panic (panic=-1 on the command line) into QEMU's exit. "-display none"
 * rather than -nographic: both leave no window, but -nographic also turns
 * on SeaBIOS's serial console, which resets the user's terminal and
 * prints its banner before the kernel starts. The console is a stdio
 * chardev with signal=off, so a Ctrl-C typed on the terminal goes to the
 * guest instead of killing QEMU. A firmware boot puts bootindex=0 on the
 * disk, so neither firmware tries anything else first; OVMF reads its
 * variables from a fresh copy made for each boot (a stale one, from a
 * boot with other devices, can leave it in the EFI shell).
 */
#include "qemu.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* When an option applies; 0 is always. */
enum {
	ONLY_KVM = 1 << 0,
	ONLY_DIRECT = 1 << 1,
	ONLY_FIRMWARE = 1 << 2,		/* BIOS or UEFI */
	ONLY_UEFI = 1 << 3,
};

struct qemu_opt {
	const char *flag;
	const char *value;		/* a fixed value, or NULL */
	char *(*make)(const struct qemu_config *c); /* a computed value */
	unsigned only;
};

static const struct {
	const char *name;
	const char *machine;
} boots[] = {
	[QEMU_BOOT_DIRECT] = { "direct", "q35" },
	[QEMU_BOOT_BIOS] = { "bios", "pc" },
	[QEMU_BOOT_UEFI] = { "uefi", "q35" },
};

int qemu_boot_parse(const char *s, enum qemu_boot *ret)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(boots); i++) {
		if (!strcmp(s, boots[i].name)) {
			*ret = (enum qemu_boot)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *qemu_boot_name(enum qemu_boot b)
{
	return boots[b].name;
}

char *qemu_opt_escape(const char *s)
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
	char *name = qemu_opt_escape(c->name), *v;

	v = xasprintf("hpc-%s", name);
	free(name);
	return v;
}

static char *opt_machine(const struct qemu_config *c)
{
	return xstrdup(boots[c->boot].machine);
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
	char *file = qemu_opt_escape(c->disk), *v;

	v = xasprintf("file=%s,format=%s,if=none,id=d0,snapshot=on", file,
		      c->disk_format ? c->disk_format : "raw");
	free(file);
	return v;
}

static char *opt_ovmf_code(const struct qemu_config *c)
{
	return xstrdup("if=pflash,format=raw,readonly=on,file="
		       QEMU_OVMF_CODE);
}

static char *opt_ovmf_vars(const struct qemu_config *c)
{
	char *file = qemu_opt_escape(c->ovmf_vars), *v;

	v = xasprintf("if=pflash,format=raw,file=%s", file);
	free(file);
	return v;
}

/* QEMU connects to the socket "hpc run" listens on (server=off). */
static char *opt_exit_chardev(const struct qemu_config *c)
{
	char *path = qemu_opt_escape(c->exit_socket), *v;

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
	{ .flag = "-M", .make = opt_machine },
	{ .flag = "-accel", .make = opt_accel },
	{ .flag = "-cpu", .value = "host", .only = ONLY_KVM },
	{ .flag = "-m", .make = opt_memory },
	{ .flag = "-smp", .make = opt_smp },
	{ .flag = "-nodefaults" },
	{ .flag = "-no-reboot" },
	{ .flag = "-display", .value = "none" },
	{ .flag = "-chardev", .value = "stdio,id=con,signal=off" },
	{ .flag = "-serial", .value = "chardev:con" },
	{ .flag = "-kernel", .make = opt_kernel, .only = ONLY_DIRECT },
	{ .flag = "-initrd", .make = opt_initrd, .only = ONLY_DIRECT },
	{ .flag = "-append", .make = opt_append, .only = ONLY_DIRECT },
	{ .flag = "-drive", .make = opt_ovmf_code, .only = ONLY_UEFI },
	{ .flag = "-drive", .make = opt_ovmf_vars, .only = ONLY_UEFI },
	{ .flag = "-drive", .make = opt_drive },
	{ .flag = "-device", .value = "virtio-blk-pci,drive=d0",
	  .only = ONLY_DIRECT },
	{ .flag = "-device", .value = "virtio-blk-pci,drive=d0,bootindex=0",
	  .only = ONLY_FIRMWARE },
	/* Port 0 is kept for a console, so two ports are the fewest that
	 * hold the exit channel; the default 31 cost the guest 64 queues
	 * to set up while virtio_console loads. */
	{ .flag = "-device", .value = "virtio-serial-pci,id=vs0,max_ports=2" },
	{ .flag = "-chardev", .make = opt_exit_chardev },
	{ .flag = "-device",
	  .value = "virtserialport,bus=vs0.0,chardev=exit,name=" QEMU_EXIT_PORT },
	{ .flag = "-netdev", .make = opt_netdev },
	{ .flag = "-device", .value = "virtio-net-pci,netdev=n0,romfile=" },
};

static bool opt_applies(const struct qemu_opt *o,
			const struct qemu_config *c)
{
	if ((o->only & ONLY_KVM) && c->accel != ACCEL_KVM)
		return false;
	if ((o->only & ONLY_DIRECT) && c->boot != QEMU_BOOT_DIRECT)
		return false;
	if ((o->only & ONLY_FIRMWARE) && c->boot == QEMU_BOOT_DIRECT)
		return false;
	return !(o->only & ONLY_UEFI) || c->boot == QEMU_BOOT_UEFI;
}

char **qemu_argv(const struct qemu_config *c)
{
	char **argv = NULL, *v;
	size_t i;

	strv_push(&argv, c->binary);
	for (i = 0; i < ARRAY_SIZE(qemu_opts); i++) {
		const struct qemu_opt *o = &qemu_opts[i];

		if (!opt_applies(o, c))
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
