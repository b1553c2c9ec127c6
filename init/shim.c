/*
 * shim: a container namespace's PID 1 (see shim.h).
 */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "reap.h"

/* Signals the command gets no matter who sends them, and faults. */
static const int not_forwarded[] = {
	SIGKILL, SIGSTOP, SIGCHLD, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
	SIGSYS, SIGABRT,
};

static void on_signal(int sig)
{
	(void)sig;	/* only to be caught: sigwaitinfo takes them */
}

static int forwarded(int sig)
{
	size_t i;

	for (i = 0; i < sizeof(not_forwarded) / sizeof(*not_forwarded); i++)
		if (not_forwarded[i] == sig)
			return 0;
	return 1;
}

/* Catch and block every signal worth forwarding, and SIGCHLD. */
static void take_signals(sigset_t *set)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (sig = 1; sig < 65; sig++)
		if (forwarded(sig) && sigaction(sig, &sa, NULL) == 0)
			sigaddset(set, sig);
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static void wait_for(pid_t child, const sigset_t *set)
{
	siginfo_t info;
	int sig, status;
	pid_t pid;

	for (;;) {
		sig = sigwaitinfo(set, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		while ((pid = reap_one(&status)) > 0)
			if (pid == child)
				_exit(status);
	}
}

void shim_run(void (*start)(void *arg), void *arg)
{
	sigset_t set, none;
	pid_t child;

	take_signals(&set);
	child = fork();
	if (child < 0) {
		console_say("cannot fork: %s", strerror(errno));
		_exit(126);
	}
	if (child == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		start(arg);
		_exit(126);
	}
	wait_for(child, &set);
	_exit(126);
}
