/*
 * kernel: find the guest kernel and the modules the pod needs.
 *
 * Stage "pack". The kernel's version is read from the bzImage header, so
 * the matching modules.dep can be found; the modules the VM needs are
 * resolved from it with their dependencies, in load order.
 */
#ifndef HPC_KERNEL_H
#define HPC_KERNEL_H

#include <stddef.h>

#include "util.h"

/*
 * kernel_version - the version string of a bzImage ("6.1.0-57-cloud-amd64"),
 * newly allocated in *ret. -errno with a message when path is not a bzImage.
 */
int kernel_version(const char *path, char **ret, struct hpc_err *err);

/*
 * kernel_find_default - the newest /boot/vmlinuz-* that has a matching
 * /lib/modules/VERSION/modules.dep. *ret_kernel and *ret_moddir are
 * newly allocated.
 */
int kernel_find_default(char **ret_kernel, char **ret_moddir,
			struct hpc_err *err);

/*
 * kernel_find_in - kernel_find_default with other directories in place of
 * /boot and /lib/modules (for --kernel trees and tests).
 */
int kernel_find_in(const char *boot_dir, const char *modules_dir,
		   char **ret_kernel, char **ret_moddir, struct hpc_err *err);

/*
 * kernel_pod_modules - the modules hpc-init needs in every pod
 * (NULL-terminated), for kernel_resolve_modules.
 */
extern const char *const kernel_pod_modules[];

struct kernel_module {
	char *name;	/* "virtio_blk" */
	char *path;	/* the .ko file on the host */
};

/*
 * kernel_resolve_modules - the modules named in wanted (NULL-terminated,
 * names with '_' or '-'), with everything they depend on according to
 * moddir/modules.dep, each once, dependencies first. A name that is
 * built into the kernel (listed in modules.builtin) is skipped. *ret is a
 * new array of *ret_n entries; free it with kernel_modules_free.
 */
int kernel_resolve_modules(const char *moddir, const char *const *wanted,
			   struct kernel_module **ret, size_t *ret_n,
			   struct hpc_err *err);
void kernel_modules_free(struct kernel_module *mods, size_t n);

/*
 * kernel_module_name - the module name of a .ko path or a name as a user
 * wrote it: the base name without .ko (.ko.xz, .ko.zst, .ko.gz), with
 * every '-' turned into '_'. Newly allocated.
 */
char *kernel_module_name(const char *path);

#endif
