/*
 * cleanup: temporary files removed when a signal ends a build. See
 * cleanup.h.
 *
 * The handler runs at any moment, on any thread, so it only reads the
 * table (pointers written whole) and calls async-signal-safe functions:
 * kill, unlink, rmdir, signal, raise. A slot is cleared before its
 * string is freed, so the handler never reads freed memory.
 */
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SLOTS 256

#define CHILDREN 8

static char *volatile slots[SLOTS];
/* the tools running now: GRUB's two images are made side by side */
static volatile pid_t children[CHILDREN];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int installed;
static volatile sig_atomic_t committed;

static void on_signal(int sig)
{
	int i;

	for (i = 0; i < CHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	for (i = SLOTS - 1; i >= 0; i--) {
		char *path = slots[i];

		if (path && unlink(path) < 0 && (errno == EISDIR ||
						  errno == EPERM))
			rmdir(path);
	}
	/* the output is whole and in place: the build succeeded */
	if (committed)
		_exit(0);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	installed = 1;
}

int cleanup_add(const char *path)
{
	char *copy = xstrdup(path);
	int i, handle = -1;

	pthread_mutex_lock(&lock);
	if (!installed)
		install();
	/* newest last, so files go before the directory they are in */
	for (i = SLOTS - 1; i >= 0 && !slots[i]; i--)
		;
	for (i = i + 1; i < SLOTS && handle < 0; i++)
		if (!slots[i])
			handle = i;
	if (handle < 0)
		for (i = 0; i < SLOTS && handle < 0; i++)
			if (!slots[i])
				handle = i;
	if (handle >= 0)
		slots[handle] = copy;
	pthread_mutex_unlock(&lock);
	if (handle < 0)
		free(copy);
	return handle;
}

/* hold - block the handled signals (or restore them, with old set). */
static void hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/*
 * Where a flock binds more than hpc's upkeep: on SMB it is mandatory
 * (since Linux 5.5), so the build's own other descriptors of the file
 * (the image is reopened by its name) could not use it; on NFS it is a
 * lock on the whole file's bytes, which qemu-img's own image locks on
 * the image would meet. There the age alone judges.
 */
static bool locks_bind(int fd)
{
	static const long kinds[] = {
		(long)0xFF534D42,	/* CIFS */
		(long)0xFE534D42,	/* SMB2 */
		0x517B,			/* SMB */
		0x6969,			/* NFS */
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if ((long)(uint32_t)sf.f_type == kinds[i])
			return true;
	return false;
}

int cleanup_mkstemp(char *tmpl, int *ret_handle)
{
	sigset_t old;
	int fd, rc;

	hold(&old);
	fd = mkostemp(tmpl, O_CLOEXEC);
	rc = fd < 0 ? -errno : fd;
	if (fd >= 0) {
		*ret_handle = cleanup_add(tmpl);
		/* a file system without locks leaves the age alone to judge */
		if (!locks_bind(fd))
			(void)flock(fd, LOCK_EX | LOCK_NB);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/*
 * A shared lock, which a read-only descriptor may take on NFS too, is
 * refused while the writer holds its exclusive one. Any failure to look
 * (no descriptor left, no permission, no locks) is a file still in use:
 * a leftover kept costs room, a live file removed costs a build.
 */
bool cleanup_is_leftover(const char *path, const struct stat *st)
{
	bool unlocked;
	int fd;

	if (time(NULL) - st->st_mtime < CLEANUP_IDLE)
		return false;
	if (!S_ISREG(st->st_mode))
		return true;	/* no writer makes one: nothing holds it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	unlocked = flock(fd, LOCK_SH | LOCK_NB) == 0;
	close(fd);
	return unlocked;
}

int cleanup_mkdtemp(char *tmpl, int *ret_handle)
{
	sigset_t old;
	int rc = 0;

	hold(&old);
	if (!mkdtemp(tmpl))
		rc = -errno;
	else
		*ret_handle = cleanup_add(tmpl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int cleanup_commit(int (*commit)(void *arg), void *arg)
{
	sigset_t old;
	int rc;

	hold(&old);
	rc = commit(arg);
	if (rc == 0)
		committed = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void cleanup_forget(int handle)
{
	char *path;

	if (handle < 0 || handle >= SLOTS)
		return;
	pthread_mutex_lock(&lock);
	path = slots[handle];
	slots[handle] = NULL;
	pthread_mutex_unlock(&lock);
	free(path);
}

/* set_child - put pid where from was (0: a free place); false if none. */
static bool set_child(pid_t from, pid_t pid)
{
	bool done = false;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < CHILDREN && !done; i++) {
		if (children[i] == from) {
			children[i] = pid;
			done = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return done;
}

void cleanup_child(pid_t pid)
{
	/* the build runs at most two tools at once, far below CHILDREN */
	(void)set_child(0, pid);
}

void cleanup_child_end(pid_t pid)
{
	(void)set_child(pid, 0);
}
