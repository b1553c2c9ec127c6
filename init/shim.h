/*
 * shim: the PID 1 of each container's PID namespace. The kernel shields a
 * namespace's PID 1 from signals it has no handler for, even SIGKILL sent
 * from inside, and hands it every orphan there; a command run as PID 1
 * would ignore "kill -9 $$" and leave zombies. So the init keeps this
 * small part of itself as the namespace's PID 1, as "docker run --init"
 * does, and runs the command as its child.
 */
#ifndef HPC_INIT_SHIM_H
#define HPC_INIT_SHIM_H

/*
 * shim_run - fork; the child runs start(arg), which must not return. The
 * shim forwards the signals it receives to that child, reaps everything
 * that ends in the namespace, and when the child ends exits with its
 * status (128+N for signal N); the kernel then ends whatever is left.
 * Never returns.
 */
void shim_run(void (*start)(void *arg), void *arg) __attribute__((noreturn));

#endif
