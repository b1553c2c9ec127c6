/*
 * initbin: is the init an executable the guest's kernel can start as
 * PID 1? The initrd holds no dynamic loader and no libraries, so the
 * init must be a static x86-64 ELF executable: the ELF header says the
 * class and machine, and a PT_INTERP program header would name a loader
 * that is not there.
 */
#include "initbin.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read exactly len bytes at off; -errno, or -ENOEXEC when short. */
static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

/* The header's own verdict: NULL when fine, else what is wrong. */
static const char *header_problem(const Elf64_Ehdr *h)
{
	if (memcmp(h->e_ident, ELFMAG, SELFMAG))
		return "not an ELF executable";
	if (h->e_ident[EI_CLASS] != ELFCLASS64 ||
	    h->e_machine != EM_X86_64)
		return "not an x86-64 program";
	if (h->e_type != ET_EXEC && h->e_type != ET_DYN)
		return "not an executable";
	if (h->e_phentsize != sizeof(Elf64_Phdr) || h->e_phnum == 0)
		return "an ELF file without program headers";
	return NULL;
}

/* Whether a program header asks for a dynamic loader. */
static int has_interp(int fd, const Elf64_Ehdr *h, bool *ret)
{
	Elf64_Phdr ph;
	int rc;

	for (unsigned int i = 0; i < h->e_phnum; i++) {
		rc = read_at(fd, &ph, sizeof(ph),
			     (off_t)(h->e_phoff + (uint64_t)i * sizeof(ph)));
		if (rc < 0)
			return rc;
		if (ph.p_type == PT_INTERP) {
			*ret = true;
			return 0;
		}
	}
	*ret = false;
	return 0;
}

int initbin_check(const char *path, struct hpc_err *err)
{
	const char *why = NULL;
	Elf64_Ehdr h;
	bool interp = false;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, -errno, "init '%s': %s", path,
			       strerror(errno));
	rc = read_at(fd, &h, sizeof(h), 0);
	if (rc == -ENOEXEC)
		why = "too short to be a program";
	else if (rc == 0 && !(why = header_problem(&h)))
		rc = has_interp(fd, &h, &interp);
	if (rc == -ENOEXEC && !why)
		why = "its program headers are cut short";
	else if (rc == 0 && !why && interp)
		why = "linked dynamically, but the initrd has no libraries";
	close(fd);
	if (why)
		return err_set(err, -ENOEXEC, "init '%s': %s (the init must "
			       "be a static x86-64 program)", path, why);
	if (rc < 0)
		return err_set(err, rc, "init '%s': %s", path, strerror(-rc));
	return 0;
}
