/*
 * cache_cmd: "hpc cache verify" and "hpc cache prune", the upkeep of the
 * blob cache that stage "fetch" fills (cache.h). verify re-checks every
 * blob against its name and removes what does not match, and the
 * temporary files of writers that died; prune frees space.
 */
#ifndef HPC_CACHE_CMD_H
#define HPC_CACHE_CMD_H

/* cache_main - the "cache" subcommand; argv[0] is "cache". */
int cache_main(int argc, char **argv);

#endif
