/*
 * stage: the bytes of compressed layers, kept from pass one for pass
 * two, so that a gzip or zstd layer is inflated once a build.
 *
 * Part of stage "pack" (see rootfs.h). Pass one reads every byte of a
 * compressed layer anyway, to find the next header; it writes each
 * regular file's bytes here, at an offset of its own. Pass two, once the
 * layout is fixed, reads the survivors back from here instead of
 * inflating the layer again. The file is unnamed (O_TMPFILE) beside the
 * output, so it never shows and is gone when the build ends, however
 * it ends. A stage is an optimisation only: whoever cannot write to it
 * reads the layer again, and the bytes written are the same either way.
 */
#ifndef HPC_STAGE_H
#define HPC_STAGE_H

#include <stdint.h>
#include <sys/types.h>

struct stage;

/*
 * stage_new - an empty stage in directory dir, in *ret. Returns 0, or
 * -errno when dir cannot hold one (no O_TMPFILE there, say).
 */
int stage_new(const char *dir, struct stage **ret);
/* stage_free - close and forget the stage; accepts NULL. */
void stage_free(struct stage *s);

/* stage_reserve - room for a file of size bytes: its offset in the stage. */
uint64_t stage_reserve(struct stage *s, uint64_t size);

/*
 * stage_put - len bytes at offset at, perhaps held back to join the
 * next; stage_flush writes what was held back. Return 0 or -errno;
 * -ENOSPC also when the filesystem would be left with less room than
 * the image it holds will want beside the stage.
 */
int stage_put(struct stage *s, uint64_t at, const void *buf, size_t len);
int stage_flush(struct stage *s);

/* stage_end - the offset the next file would get. */
uint64_t stage_end(const struct stage *s);

/* stage_held - the bytes of disk the stage takes now. */
uint64_t stage_held(const struct stage *s);

/*
 * stage_release - the bytes before offset upto will not be read again:
 * their space goes back to the filesystem as pass two goes, so that the
 * stage and the image it fills never need room for both whole.
 */
void stage_release(struct stage *s, uint64_t upto);

/*
 * stage_discard - forget the bytes from offset from on (a layer given up
 * half way): their space goes back at once.
 */
void stage_discard(struct stage *s, uint64_t from);

/*
 * stage_read_fn - one run of a file's bytes at offset off of the file;
 * returns 0 or -errno, which ends stage_read with it.
 */
typedef int (*stage_read_fn)(uint64_t off, const void *buf, size_t len,
			     void *arg);

/*
 * stage_read - the bytes of the file of size bytes put at base, in
 * rising offsets, runs the stage never held skipped (they are zeros).
 * Returns 0, -errno from reading, or fn's failure.
 */
int stage_read(struct stage *s, uint64_t base, uint64_t size,
	       stage_read_fn fn, void *arg);

#endif
