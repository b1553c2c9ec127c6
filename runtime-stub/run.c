/*
 * run: the runtime stub. See run.h.
 */
#include "run.h"

#include <stdio.h>

int run_main(int argc, char **argv)
{
	fputs("hpc: run is not written yet\n", stderr);
	return 1;
}
