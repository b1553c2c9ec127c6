/*
 * run: "hpc run IMG", the runtime stub. Reads the GPT and the manifest of
 * a pod image, picks an accelerator (KVM only when a probe shows it can
 * run a guest), boots the image's kernel and initrd directly with QEMU,
 * and exits with the pod's status as the init reports it.
 */
#ifndef HPC_RUN_H
#define HPC_RUN_H

/* run_main - the "run" subcommand; argv[0] is "run". Returns the exit status. */
int run_main(int argc, char **argv);

#endif
