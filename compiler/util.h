/*
 * util: memory helpers and error messages shared by every stage of the
 * compiler (spec, plan, fetch, pack) and by the runtime stub.
 *
 * The compiler dies on out-of-memory through xmalloc and friends; every
 * other failure travels up as a negative errno with a message kept in a
 * struct hpc_err, and is printed once, by main.
 */
#ifndef HPC_UTIL_H
#define HPC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One error message, filled in where the context is. */
struct hpc_err {
	char msg[4096];
};

/*
 * err_set - record a message in err (which may be NULL) and return code,
 * which must be a negative errno, so callers write
 * "return err_set(err, -EINVAL, "...", ...);".
 */
int err_set(struct hpc_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err_prefix - put "PREFIX: " in front of the message already in err. */
void err_prefix(struct hpc_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* err_print - each line of err's message to stderr as "hpc: LINE". */
void err_print(const struct hpc_err *err);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray - grow an array of nmemb elements of size bytes each. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf - a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/*
 * xshorten - a copy of s, or, when s is longer than head + tail bytes,
 * its first head bytes, "..." and its last tail bytes: a long quoted
 * value shortened with both ends kept. The caller frees it.
 */
char *xshorten(const char *s, size_t head, size_t tail);

/* strv: NULL-terminated arrays of strings, owned element by element. */
size_t strv_len(char *const *v);
char **strv_dup(char *const *v);
/* strv_push - append a copy of s to *v (which may be NULL). */
void strv_push(char ***v, const char *s);
/* strv_take - append s itself to *v, which takes ownership of it. */
void strv_take(char ***v, char *s);
void strv_free(char **v);

/* Messages on stderr, "hpc: " in front; the level is set by -q and -v. */
enum log_level { LOG_QUIET, LOG_NORMAL, LOG_VERBOSE };
extern enum log_level log_level;
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * usage_error - say why the command line of the subcommand cmd is wrong,
 * on one line ("hpc: CMD: WHY"), and where its help is; returns 2, the
 * exit status of a usage error.
 */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * usage_bad_option - usage_error for what getopt refused (with opterr
 * 0): word is the argument it stopped at.
 */
int usage_bad_option(const char *cmd, const char *word);

/*
 * read_file - read all of path into a NUL-terminated buffer; *ret_len gets
 * its length without the NUL. Fails with -EFBIG past max bytes.
 */
int read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
	      struct hpc_err *err);

/*
 * pwrite_all - all len bytes of buf at offset off of fd, retried after
 * a signal or a short write: 0, or -errno (-ENOSPC where pwrite wrote
 * nothing and said no more). The caller says the message.
 */
int pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/*
 * file_kind - what a file of this mode is, for messages: "a directory",
 * "a character device", "a FIFO" and so on.
 */
const char *file_kind(mode_t mode);

/*
 * open_regular - open path (symlinks followed) for reading, only if it
 * is a regular file: a device is never opened and a FIFO never waited
 * on. Returns the fd with *ret_st its fstat, or -errno with a message
 * in err: -EINVAL when path is something else ("'P' is a FIFO, not a
 * regular file").
 */
int open_regular(const char *path, struct stat *ret_st, struct hpc_err *err);

#endif
