/*
 * replay: a fuzz target without libFuzzer. Feeds each file named on the
 * command line (a directory: each file in it) to LLVMFuzzerTestOneInput
 * once, so "make test" replays the corpora and every input that once
 * crashed a target with the plain build.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int feed(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int feed_dir(const char *path, size_t *count)
{
	struct dirent **names;
	char *child;
	size_t len;
	int n, i, rc = 0;

	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			len = strlen(path) + strlen(names[i]->d_name) + 2;
			child = malloc(len);
			if (!child)
				abort();
			snprintf(child, len, "%s/%s", path, names[i]->d_name);
			if (feed(child) < 0)
				rc = -1;
			(*count)++;
			free(child);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct stat st;
	size_t count = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (feed_dir(argv[i], &count) < 0)
				rc = 1;
			continue;
		}
		if (feed(argv[i]) < 0)
			rc = 1;
		count++;
	}
	printf("replay %s: %zu inputs\n", argv[0], count);
	return rc;
}
