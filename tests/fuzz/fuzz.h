/*
 * fuzz.h: what every fuzz target under tests/fuzz shares. A target is
 * one entry point, LLVMFuzzerTestOneInput, fed by libFuzzer in
 * "make fuzz" and by replay.c (every file of a corpus, once) in
 * "make test". Targets that need their input as a file write it to a
 * private temporary directory made once a process.
 */
#ifndef HPC_FUZZ_H
#define HPC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * fuzz_dir - this process's temporary directory (made on first use,
 * removed at exit with what is in it).
 */
const char *fuzz_dir(void);

/*
 * fuzz_file - write data to NAME in fuzz_dir and return its path (a
 * static buffer, valid until the next call); exits on failure.
 */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* fuzz_text - a NUL-terminated copy of data; the caller frees it. */
char *fuzz_text(const uint8_t *data, size_t size);

#endif
