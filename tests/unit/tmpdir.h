/*
 * tmpdir.h: a private temporary directory for each unit test that writes
 * files, made by setup_tmp and removed with its content by teardown_tmp
 * (cmocka setup and teardown functions; *state holds the path); tmp_at
 * names a file in it; count_entries counts what a directory holds.
 */
#ifndef HPC_TEST_TMPDIR_H
#define HPC_TEST_TMPDIR_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int teardown_tmp(void **state)
{
	char *dir = *state;

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return 0;
}

/*
 * tmp_at - DIR/name in one of four buffers that calls take in turn, so
 * up to four such paths can be used at once; nothing to free.
 */
static inline char *tmp_at(void **state, const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", (char *)*state, name);
	return p;
}

static inline int setup_tmp(void **state)
{
	char tmpl[] = "/tmp/hpc-unit-XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	*state = strdup(tmpl);
	return *state ? 0 : -1;
}

/*
 * count_entries - the entries of dir: its files bar hidden ones, and
 * the temporary files (".tmp...") that a writer leaves when it fails.
 */
static inline size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || strncmp(e->d_name, ".tmp", 4) == 0;
	closedir(d);
	return n;
}

#endif
