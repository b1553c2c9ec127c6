/*
 * pull: "hpc pull REF...", stage "fetch" alone: brings each image's
 * manifest, config and layers into the blob cache, verified, so that a
 * later "hpc build --offline" needs no network.
 */
#ifndef HPC_PULL_H
#define HPC_PULL_H

/* pull_main - the "pull" subcommand; argv[0] is "pull". */
int pull_main(int argc, char **argv);

#endif
