/*
 * build: the pipeline from a pod file to a disk image. See build.h.
 */
#include "build.h"

#include <stdio.h>

int build_main(int argc, char **argv)
{
	fputs("hpc: build is not written yet\n", stderr);
	return 1;
}
