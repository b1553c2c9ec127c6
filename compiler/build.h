/*
 * build: "hpc build POD -o IMG", the pipeline that turns a pod file and
 * the images and files it names into one bootable disk image:
 * spec -> plan -> fetch -> pack -> pod.img.
 */
#ifndef HPC_BUILD_H
#define HPC_BUILD_H

/* build_main - the "build" subcommand; argv[0] is "build". */
int build_main(int argc, char **argv);

#endif
