/*
 * shellsplit: split one string into words the way a POSIX shell would
 * (quotes and backslashes, no expansion), for pod files that write a
 * command or entrypoint as a single string.
 */
#ifndef HPC_SHELLSPLIT_H
#define HPC_SHELLSPLIT_H

/*
 * shell_split - the words of s as a new NULL-terminated array (free it
 * with strv_free), or NULL when a quote is not closed.
 */
char **shell_split(const char *s);

#endif
