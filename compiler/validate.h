/*
 * validate: "hpc validate POD [--json]", stage "spec" of the pipeline
 * alone: parse and check a pod file, report every problem, and with
 * --json print the normalised pod that a build would use.
 */
#ifndef HPC_VALIDATE_H
#define HPC_VALIDATE_H

/* validate_main - the "validate" subcommand; argv[0] is "validate". */
int validate_main(int argc, char **argv);

#endif
