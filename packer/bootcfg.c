/*
 * bootcfg: grub.cfg for the pod image's ESP. See bootcfg.h.
 *
 * GRUB reads the file as a script: a word with a character the script
 * treats specially ('$', ';', quotes, braces ...) is put in single
 * quotes, so the kernel gets the command line as it was written.
 */
#include "bootcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PLAIN "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	      "0123456789_./:=,+@%^-"

static const char *const head[] = {
	"# The pod's boot config, read by GRUB on BIOS and on UEFI.\n",
	"serial --unit=0 --speed=115200\n",
	"terminal_input serial console\n",
	"terminal_output serial console\n",
	"set timeout=0\n",
};

static int cmdline_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' ||
		    *s == '\\')
			return 0;
	return 1;
}

static void append(char **buf, size_t *n, const char *s, size_t len)
{
	*buf = xrealloc(*buf, *n + len + 1);
	memcpy(*buf + *n, s, len);
	*n += len;
	(*buf)[*n] = '\0';
}

/* add_word - append " WORD", in single quotes if GRUB needs them. */
static void add_word(char **buf, size_t *n, const char *s, size_t len)
{
	size_t i;

	append(buf, n, " ", 1);
	if (strspn(s, PLAIN) >= len) {
		append(buf, n, s, len);
		return;
	}
	append(buf, n, "'", 1);
	for (i = 0; i < len; i++)
		append(buf, n, s[i] == '\'' ? "'\\''" : &s[i],
		       s[i] == '\'' ? 4 : 1);
	append(buf, n, "'", 1);
}

int bootcfg_grub(const char *cmdline, char **ret, struct hpc_err *err)
{
	char *buf = NULL;
	size_t n = 0, i, len;

	if (!cmdline_ok(cmdline))
		return err_set(err, -EINVAL, "kernel command line '%s' holds "
			       "a control character, '\"' or '\\'", cmdline);
	for (i = 0; i < ARRAY_SIZE(head); i++)
		append(&buf, &n, head[i], strlen(head[i]));
	append(&buf, &n, "linux /" BOOTCFG_KERNEL,
	       strlen("linux /" BOOTCFG_KERNEL));
	while (*cmdline) {
		cmdline += strspn(cmdline, " ");
		len = strcspn(cmdline, " ");
		if (len)
			add_word(&buf, &n, cmdline, len);
		cmdline += len;
	}
	append(&buf, &n, "\ninitrd /" BOOTCFG_INITRD "\nboot\n",
	       strlen("\ninitrd /" BOOTCFG_INITRD "\nboot\n"));
	*ret = buf;
	return 0;
}
