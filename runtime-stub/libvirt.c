/*
 * libvirt: write the domain XML of a pod image. See libvirt.h.
 *
 * Networking: libvirt's user-mode interface without a backend is QEMU's
 * SLIRP, the 10.0.2.0/24 network the init's static address expects. Port
 * forwards exist in libvirt only with the passt backend, so a pod that
 * publishes ports gets passt, told to use the init's address.
 */
#include "libvirt.h"

#include <errno.h>
#include <string.h>

/* The pod's static address (docs/image-format.md, the init plan). */
#define GUEST_IP "10.0.2.15"
#define GUEST_PREFIX 24

/* s with XML's five special characters as entities. */
static void put_text(FILE *out, const char *s)
{
	static const struct {
		char c;
		const char *entity;
	} ents[] = {
		{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" },
		{ '\'', "&apos;" }, { '"', "&quot;" },
	};
	size_t i;

	for (; *s; s++) {
		for (i = 0; i < ARRAY_SIZE(ents) && ents[i].c != *s; i++)
			;
		if (i < ARRAY_SIZE(ents))
			fputs(ents[i].entity, out);
		else
			fputc(*s, out);
	}
}

static void put_head(FILE *out, const struct qemu_config *c)
{
	bool uefi = c->boot == QEMU_BOOT_UEFI;

	fprintf(out, "<domain type='%s'>\n",
		c->accel == ACCEL_TCG ? "qemu" : "kvm");
	fputs("  <name>hpc-", out);
	put_text(out, c->name);
	fputs("</name>\n", out);
	fprintf(out, "  <memory unit='MiB'>%u</memory>\n", c->memory);
	fprintf(out, "  <vcpu>%u</vcpu>\n", c->cpus);
	fprintf(out, "  <os%s>\n", uefi ? " firmware='efi'" : "");
	fprintf(out, "    <type arch='x86_64' machine='%s'>hvm</type>\n",
		uefi ? "q35" : "pc");
	fputs("  </os>\n"
	      "  <features>\n    <acpi/>\n  </features>\n"
	      "  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n", out);
}

static void put_disk(FILE *out, const struct qemu_config *c)
{
	fputs("    <disk type='file' device='disk'>\n", out);
	fprintf(out, "      <driver name='qemu' type='%s'/>\n",
		c->disk_format ? c->disk_format : "raw");
	fputs("      <source file='", out);
	put_text(out, c->disk);
	fputs("'/>\n"
	      "      <target dev='vda' bus='virtio'/>\n"
	      "      <transient/>\n"
	      "      <boot order='1'/>\n"
	      "    </disk>\n", out);
}

static void put_net(FILE *out, const struct qemu_config *c)
{
	size_t i;

	fputs("    <interface type='user'>\n", out);
	if (c->n_ports) {
		fputs("      <backend type='passt'/>\n", out);
		fprintf(out, "      <ip family='ipv4' address='%s'"
			" prefix='%d'/>\n", GUEST_IP, GUEST_PREFIX);
	}
	for (i = 0; i < c->n_ports; i++) {
		const struct podimage_port *p = &c->ports[i];

		fprintf(out, "      <portForward proto='%s'"
			" address='127.0.0.1'>\n"
			"        <range start='%u' to='%u'/>\n"
			"      </portForward>\n", p->udp ? "udp" : "tcp",
			p->host_port ? p->host_port : p->container_port,
			p->container_port);
	}
	fputs("      <model type='virtio'/>\n"
	      "    </interface>\n", out);
}

static void put_console(FILE *out)
{
	fputs("    <serial type='pty'>\n"
	      "      <target port='0'/>\n"
	      "    </serial>\n"
	      "    <console type='pty'>\n"
	      "      <target type='serial' port='0'/>\n"
	      "    </console>\n"
	      "    <channel type='unix'>\n"
	      "      <target type='virtio' name='" QEMU_EXIT_PORT "'/>\n"
	      "    </channel>\n", out);
}

int libvirt_domain(FILE *out, const struct qemu_config *c)
{
	put_head(out, c);
	fputs("  <devices>\n", out);
	put_disk(out, c);
	put_net(out, c);
	put_console(out);
	fputs("  </devices>\n</domain>\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
