/*
 * inspect: "hpc inspect IMG", what a built pod image holds, read from its
 * manifest: the pod, its containers, the partitions and the digests of
 * the kernel and initrd. Users and tests look without booting.
 */
#ifndef HPC_INSPECT_H
#define HPC_INSPECT_H

/* inspect_main - the "inspect" subcommand; argv[0] is "inspect". */
int inspect_main(int argc, char **argv);

#endif
