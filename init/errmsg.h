/*
 * errmsg: the init's error messages. hpc-init is built alone with musl,
 * apart from the compiler's helpers, so it keeps this small twin of
 * err_set: a module fills a message where the context is, returns a
 * negative errno, and main prints and reports it once.
 */
#ifndef HPC_INIT_ERRMSG_H
#define HPC_INIT_ERRMSG_H

struct errmsg {
	char msg[512];
};

/*
 * errmsg_set - record a message in e (which may be NULL) and return code,
 * a negative errno, so callers write "return errmsg_set(e, -EIO, ...);".
 */
int errmsg_set(struct errmsg *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
