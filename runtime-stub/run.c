/*
 * run: "hpc run IMG", the runtime stub. See run.h.
 *
 * The last link of the chain on the host: read the image's GPT and
 * manifest, choose the accelerator, copy the kernel and initrd to a
 * private directory and check them, start QEMU with the exit channel
 * attached, and turn what the init reports into our exit status. The
 * private directory goes on every path out, signals included: SIGINT,
 * SIGTERM and SIGHUP are blocked from the start and read from a signalfd.
 *
 * SIGINT and SIGTERM ask the pod to stop (see vm.h). A pod with a tty
 * has the terminal in raw mode while it runs, and gets it back as it was
 * on every way out.
 *
 * Exit status: the pod's (also after a stop we asked for); 1 when the
 * image or the host is not usable, QEMU failing or a host port taken
 * included; 2 for a bad command line; 124 when --timeout ran out; 125 when the VM ended without reporting the pod's
 * status; 128+N after signal N when the pod reported none.
 */
#include "run.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "accel.h"
#include "channel.h"
#include "libvirt.h"
#include "podimage.h"
#include "qemu.h"
#include "timings.h"
#include "util.h"
#include "vm.h"

#define RUN_EXIT_FAIL 1
#define RUN_EXIT_USAGE 2
#define RUN_EXIT_TIMEOUT 124
#define RUN_EXIT_NO_STATUS 125
#define RUN_UEFI_MIN_MEMORY 256	/* MiB */
/* The smallest VM that boots, as the spec's resource.memory has it. */
#define RUN_MIN_MEMORY 128	/* MiB */
/* Docker's "docker stop" default; the init has the same. */
#define RUN_STOP_TIMEOUT_S 10
#define RUN_STOP_TIMEOUT_MAX_S 86400
/* Probes for one free port; a repeat is rare, many in a row are not. */
#define RUN_PICK_TRIES 64
/* Open files QEMU needs beside one socket a forward: disk, chardevs... */
#define RUN_QEMU_FILES 64
/* QEMU's message of a failed option repeats the option: keep the ends. */
#define RUN_QEMU_LINE_HEAD 160
#define RUN_QEMU_LINE_TAIL 320

struct run_opts {
	const char *image;
	enum accel accel;
	unsigned memory;	/* MiB; 0: the manifest's */
	unsigned cpus;		/* 0: the manifest's */
	unsigned timeout;	/* seconds; 0: none */
	unsigned stop_timeout;	/* seconds */
	bool stop_timeout_set;	/* given: the guest is told */
	bool timings;
	bool dry_run;
	bool emit_libvirt;	/* --emit libvirt */
	bool boot_given;
	enum qemu_boot boot;
	const char *qemu;
	char **publish;		/* -p HOST:CONTAINER[/PROTO], in order */
};

/* Everything one run holds, so that one function can release it. */
struct run {
	struct run_opts opts;
	struct podimage_manifest m;
	enum accel accel;
	char *dir;		/* the private directory, once made */
	char *kernel, *initrd, *socket, *vars;
	char *qemu_err;		/* QEMU's stderr, kept to be filtered */
	int err_fd;		/* open on qemu_err, or -1 */
	char *cmdline;		/* the manifest's, and what we add */
	int sigfd, listen_fd;
	sigset_t old_mask;
	struct channel ch;
};

enum {
	OPT_ACCEL = 256, OPT_MEMORY, OPT_CPUS, OPT_DRY_RUN, OPT_TIMEOUT,
	OPT_QEMU, OPT_BOOT, OPT_EMIT, OPT_HELP, OPT_STOP_TIMEOUT, OPT_TIMINGS,
};

static const struct option run_longopts[] = {
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "timings", no_argument, NULL, OPT_TIMINGS },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char run_usage[] =
	"usage: hpc run [OPTIONS] IMAGE\n"
	"\n"
	"Boot a pod image (raw or qcow2) with QEMU and exit with the pod's\n"
	"status.\n"
	"\n"
	"  --accel auto|kvm|tcg  accelerator; auto uses KVM only when a test\n"
	"                        guest runs on it (default auto)\n"
	"  --boot direct|bios|uefi\n"
	"                        start the kernel directly (default), or boot\n"
	"                        the disk by SeaBIOS or by OVMF and GRUB\n"
	"  --memory MIB          guest memory, at least 128 (default: the pod's)\n"
	"  --cpus N              virtual CPUs (default: the pod's)\n"
	"  --timeout SECONDS     stop the VM after this long, exit 124\n"
	"  --stop-timeout SECONDS\n"
	"                        on SIGINT or SIGTERM, how long containers\n"
	"                        have after their stop signal before SIGKILL\n"
	"                        (default 10)\n"
	"  --timings             print when QEMU, the init and each container\n"
	"                        started and ended, on the host's clock\n"
	"  --qemu PATH           the QEMU binary (default "
	QEMU_DEFAULT_BINARY ")\n"
	"  -p HOST:CONTAINER[/udp]\n"
	"                        publish the pod's CONTAINER port on HOST\n"
	"                        (0: a free port), over the image's own\n"
	"                        mapping of that port; may be repeated\n"
	"  --dry-run             print the QEMU command and exit\n"
	"  --emit libvirt        print a libvirt domain that boots the image\n"
	"                        by firmware (--boot bios, the default, or\n"
	"                        uefi) and exit\n"
	"\n"
	"exit status: the pod's (also after SIGINT or SIGTERM); 1 if the\n"
	"image cannot be run; 2 for usage errors; 124 on timeout; 125 if the\n"
	"VM ends without a status; 128+N after signal N without one\n";

/* A decimal number from min to max, the whole argument. */
static int parse_uint(const char *opt, const char *s, unsigned long min,
		      unsigned long max, unsigned *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "hpc: --%s: '%s' is not a number from %lu"
			" to %lu\n", opt, s, min, max);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

/* "HOST:CONTAINER[/tcp|/udp]" of -p. */
static int parse_publish(const char *s, struct podimage_port *ret)
{
	unsigned long host, ctr;
	const char *proto = "tcp";
	char *end;

	errno = 0;
	host = strtoul(s, &end, 10);
	if (end == s || *end != ':' || !isdigit((unsigned char)end[1]))
		goto bad;
	ctr = strtoul(end + 1, &end, 10);
	if (*end == '/')
		proto = end + 1;
	else if (*end)
		goto bad;
	if (errno || host > 65535 || ctr < 1 || ctr > 65535 ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")))
		goto bad;
	*ret = (struct podimage_port){ .host_port = (unsigned)host,
				       .container_port = (unsigned)ctr,
				       .udp = !strcmp(proto, "udp") };
	return 0;
bad:
	fprintf(stderr, "hpc: -p: '%s' is not HOST:CONTAINER[/tcp|/udp] "
		"(ports 0 to 65535, the container's from 1)\n", s);
	return -EINVAL;
}

static int parse_one(struct run_opts *o, int c, const char *arg,
		     const char *word)
{
	switch (c) {
	case OPT_ACCEL:
		if (accel_parse(arg, &o->accel) == 0)
			return 0;
		fprintf(stderr, "hpc: --accel: '%s' is not auto, kvm or tcg\n",
			arg);
		return -EINVAL;
	case OPT_MEMORY:
		return parse_uint("memory", arg, RUN_MIN_MEMORY, 1024 * 1024,
				  &o->memory);
	case OPT_CPUS:
		return parse_uint("cpus", arg, 1, 255, &o->cpus);
	case OPT_TIMEOUT:
		return parse_uint("timeout", arg, 1, INT_MAX / 1000,
				  &o->timeout);
	case OPT_STOP_TIMEOUT:
		o->stop_timeout_set = true;
		return parse_uint("stop-timeout", arg, 0,
				  RUN_STOP_TIMEOUT_MAX_S, &o->stop_timeout);
	case OPT_TIMINGS:
		o->timings = true;
		return 0;
	case OPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case OPT_QEMU:
		o->qemu = arg;
		return 0;
	case 'p': {
		struct podimage_port p;

		if (parse_publish(arg, &p) < 0)
			return -EINVAL;
		strv_push(&o->publish, arg);
		return 0;
	}
	case OPT_EMIT:
		if (!strcmp(arg, "libvirt")) {
			o->emit_libvirt = true;
			return 0;
		}
		fprintf(stderr, "hpc: --emit: '%s' is not libvirt\n", arg);
		return -EINVAL;
	case OPT_BOOT:
		o->boot_given = true;
		if (qemu_boot_parse(arg, &o->boot) == 0)
			return 0;
		fprintf(stderr, "hpc: --boot: '%s' is not direct, bios or"
			" uefi\n", arg);
		return -EINVAL;
	default:
		fprintf(stderr, "hpc: run: unknown option or missing value"
			" in '%s'\n", word);
		return -EINVAL;
	}
}

/* 0 to run, 1 after --help, -EINVAL on a usage error (already said). */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	int c;

	*o = (struct run_opts){ .accel = ACCEL_AUTO,
				.qemu = QEMU_DEFAULT_BINARY,
				.stop_timeout = RUN_STOP_TIMEOUT_S };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:", run_longopts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(run_usage, stdout);
			return 1;
		}
		if (parse_one(o, c, optarg, argv[optind - 1]) < 0)
			goto usage;
	}
	if (optind == argc) {
		fputs("hpc: run: no image: name one, as in 'hpc run IMG'\n",
		      stderr);
		goto usage;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "hpc: run: '%s': one image only, and this is "
			"a second argument\n", argv[optind + 1]);
		goto usage;
	}
	o->image = argv[optind];
	if (o->emit_libvirt && o->boot_given && o->boot == QEMU_BOOT_DIRECT) {
		fputs("hpc: --emit libvirt: a domain cannot boot the kernel"
		      " directly (it is inside the image); use --boot bios or"
		      " uefi\n", stderr);
		goto usage;
	}
	if (o->emit_libvirt && !o->boot_given)
		o->boot = QEMU_BOOT_BIOS;
	return 0;
usage:
	fputs("try 'hpc run --help'\n", stderr);
	return -EINVAL;
}

/*
 * bind_loopback - bind a socket to 127.0.0.1:port (0: any) and close it;
 * *ret, when asked, gets the port bound. -errno on failure. A TCP socket
 * reuses addresses as QEMU's forwarder does, so only a port that some
 * socket holds counts as taken.
 */
static int bind_loopback(bool udp, unsigned port, unsigned *ret)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd, one = 1, r = 0;

	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		r = -errno;
	else if (ret)
		*ret = ntohs(a.sin_port);
	close(fd);
	return r;
}

/* Whether a forward of m other than self has this host port already. */
static bool port_taken(const struct podimage_manifest *m, size_t self,
		       unsigned port, bool udp)
{
	size_t i;

	for (i = 0; i < m->n_ports; i++)
		if (i != self && m->ports[i].host_port == port &&
		    m->ports[i].udp == udp)
			return true;
	return false;
}

/*
 * A port the host can give now for m->ports[i]: bind to port 0 and see
 * what we got. The kernel may hand out a port again once its probe is
 * closed, so one the pod already forwards is asked for again.
 * XXX: another process may take it before QEMU binds it.
 */
static int pick_free_port(struct podimage_manifest *m, size_t i,
			  struct hpc_err *err)
{
	struct podimage_port *p = &m->ports[i];
	unsigned port = 0, tries;
	int r;

	for (tries = 0; tries < RUN_PICK_TRIES; tries++) {
		r = bind_loopback(p->udp, 0, &port);
		if (r < 0)
			return err_set(err, r, "cannot find a free port: %s",
				       strerror(-r));
		if (!port_taken(m, i, port, p->udp)) {
			p->host_port = port;
			return 0;
		}
	}
	return err_set(err, -EADDRINUSE, "cannot find a free port for %u/%s"
		       " that the pod does not use already (%u tries)",
		       p->container_port, p->udp ? "udp" : "tcp", tries);
}

/*
 * A fixed host port must be free before QEMU starts: QEMU would only
 * say it could not set up the forwarding rule, after the boot began.
 */
static int check_port_free(const struct podimage_port *p,
			   struct hpc_err *err)
{
	const char *proto = p->udp ? "udp" : "tcp";
	int r = bind_loopback(p->udp, p->host_port, NULL);

	if (r == -EADDRINUSE)
		return err_set(err, r, "host port %u/%s is in use (choose"
			       " another with -p HOST:%u%s)", p->host_port,
			       proto, p->container_port,
			       p->udp ? "/udp" : "");
	if (r < 0)
		return err_set(err, r, "cannot use host port %u/%s: %s",
			       p->host_port, proto, strerror(-r));
	return 0;
}

/* -p: replace the image's mapping of the same container port, or add. */
static int ports_publish(struct run *run)
{
	struct podimage_manifest *m = &run->m;
	struct podimage_port p;
	size_t i, j;

	for (i = 0; run->opts.publish && run->opts.publish[i]; i++) {
		if (parse_publish(run->opts.publish[i], &p) < 0)
			return -EINVAL;
		for (j = 0; j < m->n_ports; j++)
			if (m->ports[j].container_port == p.container_port &&
			    m->ports[j].udp == p.udp)
				break;
		if (j == m->n_ports)
			m->ports = xreallocarray(m->ports, ++m->n_ports,
						 sizeof(*m->ports));
		m->ports[j] = p;
	}
	if (m->n_ports > PODIMAGE_MAX_PORTS) {
		fprintf(stderr, "hpc: -p: %zu ports published with the "
			"image's own, over the limit of %d\n", m->n_ports,
			PODIMAGE_MAX_PORTS);
		return -EINVAL;
	}
	return 0;
}

/*
 * Give every hostPort 0 a free port, check the others are free unless
 * the VM is not started now (check false), and say where each port is.
 */
static int ports_assign(struct podimage_manifest *m, bool check,
			struct hpc_err *err)
{
	size_t i;
	int r;

	for (i = 0; i < m->n_ports; i++) {
		struct podimage_port *p = &m->ports[i];

		if (!p->host_port)
			r = pick_free_port(m, i, err);
		else
			r = check ? check_port_free(p, err) : 0;
		if (r < 0)
			return r;
	}
	for (i = 0; i < m->n_ports; i++) {
		const struct podimage_port *p = &m->ports[i];

		log_info("port %u/%s of the pod is on 127.0.0.1:%u",
			 p->container_port, p->udp ? "udp" : "tcp",
			 p->host_port);
	}
	return 0;
}

/*
 * QEMU's user network holds a listening socket a forward, so a pod near
 * the port limit needs more open files than the usual soft limit of
 * 1024; QEMU inherits what we set. Past the hard limit QEMU would fail
 * on a forward, which it says.
 */
static void raise_file_limit(size_t n_ports)
{
	rlim_t want = (rlim_t)n_ports + RUN_QEMU_FILES;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		log_warn("%zu forwarded ports need about %llu open files and"
			 " the hard limit is %llu, QEMU may fail", n_ports,
			 (unsigned long long)want,
			 (unsigned long long)rl.rlim_max);
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the open file limit to %llu: %s,"
			 " ignoring", (unsigned long long)want,
			 strerror(errno));
}

static void choose_accel(struct run *run)
{
	struct hpc_err why = { "" };
	bool fell_back;

	run->accel = accel_choose(run->opts.accel, ACCEL_KVM_DEVICE,
				  &fell_back, &why);
	if (fell_back)
		log_warn("KVM cannot run a guest here (%s), using TCG",
			 why.msg);
}

/*
 * The guest's memory. GRUB's EFI loader (2.06) needs room for the whole
 * kernel in its heap, a quarter of the RAM: it fails with "out of
 * memory" at 192 MiB and loads the cloud kernel at 256 MiB. An image
 * built before the spec's floor was raised may ask for less than any
 * boot needs.
 */
static unsigned guest_memory(const struct run *run)
{
	unsigned mib = run->opts.memory ? run->opts.memory : run->m.memory;

	if (mib < RUN_MIN_MEMORY) {
		log_warn("the image asks for %u MiB, too little to boot,"
			 " giving the VM %u MiB", mib, RUN_MIN_MEMORY);
		mib = RUN_MIN_MEMORY;
	}
	if (run->opts.boot == QEMU_BOOT_UEFI && mib < RUN_UEFI_MIN_MEMORY) {
		log_warn("a UEFI boot needs %u MiB for GRUB to load the"
			 " kernel, giving the VM %u MiB instead of %u",
			 RUN_UEFI_MIN_MEMORY, RUN_UEFI_MIN_MEMORY, mib);
		mib = RUN_UEFI_MIN_MEMORY;
	}
	return mib;
}

/*
 * The kernel command line: the manifest's, the grace period when given,
 * and for a tty pod on a terminal its size; the kernel hands a word
 * NAME=VALUE without a dot to the init's environment.
 */
static char *make_cmdline(const struct run *run)
{
	char *line = xstrdup(run->m.cmdline), *next;
	struct winsize ws;

	if (run->opts.stop_timeout_set) {
		next = xasprintf("%s hpc_stop_timeout=%u", line,
				 run->opts.stop_timeout);
		free(line);
		line = next;
	}
	if (run->m.tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_row && ws.ws_col) {
		next = xasprintf("%s hpc_tty_size=%ux%u", line,
				 (unsigned)ws.ws_row, (unsigned)ws.ws_col);
		free(line);
		line = next;
	}
	return line;
}

static char **build_argv(const struct run *run)
{
	const struct run_opts *o = &run->opts;
	struct qemu_config c = {
		.binary = o->qemu,
		.name = run->m.name,
		.accel = run->accel,
		.memory = guest_memory(run),
		.cpus = o->cpus ? o->cpus : run->m.vcpu,
		.boot = o->boot,
		.kernel = run->kernel,
		.initrd = run->initrd,
		.cmdline = run->cmdline,
		.ovmf_vars = run->vars,
		.disk = o->image,
		.disk_format = diskfmt_name(run->m.format),
		.exit_socket = run->socket,
		.ports = run->m.ports,
		.n_ports = run->m.n_ports,
	};

	return qemu_argv(&c);
}

/* The files of the private directory, made or, for --dry-run, named. */
static void name_files(struct run *run, const char *dir)
{
	run->kernel = xasprintf("%s/kernel", dir);
	run->initrd = xasprintf("%s/initrd", dir);
	run->socket = xasprintf("%s/exit.sock", dir);
	run->vars = xasprintf("%s/OVMF_VARS.fd", dir);
	run->qemu_err = xasprintf("%s/qemu.err", dir);
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

static int make_private_dir(struct run *run, struct hpc_err *err)
{
	char *tmpl = xasprintf("%s/hpc-run.XXXXXX", tmp_base());

	if (!mkdtemp(tmpl)) {
		int r = err_set(err, -errno, "cannot create a directory in"
				" '%s': %s", tmp_base(), strerror(errno));

		free(tmpl);
		return r;
	}
	run->dir = tmpl;
	name_files(run, tmpl);
	return 0;
}

/* Remove the private directory with whatever is in it (no subdirs). */
static void remove_private_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	if (rmdir(dir) < 0)
		log_warn("cannot remove '%s': %s, ignoring", dir,
			 strerror(errno));
}

/*
 * From here on SIGINT, SIGTERM and SIGHUP only reach the signalfd, so no
 * signal can end us with the private directory still there.
 */
static int block_signals(struct run *run, struct hpc_err *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &run->old_mask);
	run->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (run->sigfd < 0)
		return err_set(err, -errno, "cannot create a signalfd: %s",
			       strerror(errno));
	return 0;
}

/* OVMF's variables: a pristine copy for every boot (see qemu.c). */
static int copy_vars(const char *dest, struct hpc_err *err)
{
	char *buf = NULL;
	size_t len;
	int fd, r;

	r = read_file(QEMU_OVMF_VARS, 64 * 1024 * 1024, &buf, &len, err);
	if (r < 0) {
		err_prefix(err, "a UEFI boot needs OVMF (Debian's ovmf)");
		return r;
	}
	fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		r = err_set(err, -errno, "cannot write '%s': %s", dest,
			    strerror(errno));
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = err_set(err, -errno, "cannot write '%s': %s", dest,
			    strerror(errno));
	free(buf);
	return r;
}

/*
 * The firmware's files: OVMF's variables for UEFI; nothing for BIOS. The
 * firmware reads the kernel and initrd from the ESP itself.
 */
static int prepare_firmware(struct run *run, struct hpc_err *err)
{
	if (run->opts.boot == QEMU_BOOT_UEFI)
		return copy_vars(run->vars, err);
	return 0;
}

/* Direct boot: copy the kernel and initrd out, checking their digests. */
static int extract_boot_files(struct run *run, struct hpc_err *err)
{
	int r;

	r = podimage_extract(run->opts.image, &run->m.kernel, "kernel",
			     run->kernel, err);
	if (r == 0)
		r = podimage_extract(run->opts.image, &run->m.initrd,
				     "initrd", run->initrd, err);
	return r;
}

/* The files the boot needs, then the exit channel. */
static int prepare(struct run *run, struct hpc_err *err)
{
	int r;

	r = make_private_dir(run, err);
	if (r < 0)
		return r;
	if (run->opts.boot == QEMU_BOOT_DIRECT)
		r = extract_boot_files(run, err);
	else
		r = prepare_firmware(run, err);
	if (r < 0)
		return r;
	run->err_fd = open(run->qemu_err, O_RDWR | O_CREAT | O_TRUNC |
			   O_CLOEXEC, 0600);
	if (run->err_fd < 0)
		return err_set(err, -errno, "cannot create '%s': %s",
			       run->qemu_err, strerror(errno));
	run->listen_fd = channel_listen(run->socket, err);
	return run->listen_fd < 0 ? run->listen_fd : 0;
}

/*
 * QEMU failed, rather than the guest: it ended on its own with an error
 * or a signal before the init reported the pod's status. A guest that
 * panics or resets ends QEMU with status 0 (-no-reboot, panic=-1).
 */
static bool qemu_failed(const struct run *run, const struct vm_result *res)
{
	return res->end == VM_EXITED && run->ch.pod_status < 0 &&
	       (WIFSIGNALED(res->wait_status) ||
		WEXITSTATUS(res->wait_status) != 0);
}

/* QEMU's notice that it obeys the SIGTERM we sent it: noise. */
static bool qemu_noise(const char *line)
{
	return strstr(line, ": terminating on signal ") != NULL;
}

/*
 * One line of QEMU's, printed after prefix. A failed option is quoted
 * whole (a -netdev of a thousand forwards is 35 KiB): the start says
 * which option, the end what is wrong, so a long line keeps both.
 */
static void print_qemu_line(const char *prefix, const char *line)
{
	char *shown = xshorten(line, RUN_QEMU_LINE_HEAD, RUN_QEMU_LINE_TAIL);

	fprintf(stderr, "%s%s\n", prefix, shown);
	free(shown);
}

/*
 * Pass on what QEMU wrote to its stderr, less the noise; when it failed,
 * its last line is the reason, said once, as ours.
 */
static void qemu_messages(const struct run *run, const struct vm_result *res)
{
	char *buf = NULL, *line, *next, *last = NULL;
	bool failed = qemu_failed(run, res);
	size_t len;

	if (read_file(run->qemu_err, 1u << 20, &buf, &len, NULL) < 0)
		buf = NULL;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (!*line || qemu_noise(line))
			continue;
		if (last)
			print_qemu_line("", last);
		last = line;
	}
	if (failed)
		print_qemu_line("hpc: qemu failed: ",
				last ? last : "it said nothing");
	else if (last)
		print_qemu_line("", last);
	free(buf);
}

/* Our exit status for how QEMU ended and what the init said. */
static int exit_status(const struct run *run, const struct vm_result *res)
{
	const struct run_opts *o = &run->opts;

	if (res->end == VM_SIGNALLED) {
		log_warn("stopped the pod on %s", sigabbrev_np(res->signo) ?
			 sigabbrev_np(res->signo) : "a signal");
		if (res->forced)
			log_warn("the pod did not stop within %u s and a"
				 " margin, stopped the VM", o->stop_timeout);
		/*
		 * A pod stopped before each of its containers ran has no
		 * status of its own to give, even when the init says 0.
		 */
		if (run->ch.pod_status >= 0 &&
		    channel_all_started(&run->ch, run->m.containers))
			return run->ch.pod_status;
		return 128 + res->signo;
	}
	if (res->end == VM_TIMED_OUT) {
		fprintf(stderr, "hpc: the pod ran past its %u second time"
			" limit, stopped it\n", o->timeout);
		return RUN_EXIT_TIMEOUT;
	}
	if (res->lingered)
		log_warn("the VM did not power off after the pod ended,"
			 " stopped it");
	if (run->ch.pod_status >= 0)
		return run->ch.pod_status;
	if (qemu_failed(run, res))
		return RUN_EXIT_FAIL;
	fprintf(stderr, "hpc: the VM ended without reporting the pod's"
		" status\n");
	return RUN_EXIT_NO_STATUS;
}

/*
 * Raw, as a terminal to a remote shell is: every key goes to the guest's
 * terminal, which echoes, edits lines and turns Ctrl-C into SIGINT itself.
 */
static void make_raw(const struct termios *saved)
{
	struct termios raw = *saved;

	cfmakeraw(&raw);
	raw.c_oflag |= OPOST;	/* our own messages still end lines */
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static void print_timings(const struct run *run, const struct vm_result *res)
{
	struct timings_host h = { .start_ms = res->start_ms,
				  .stop_ms = res->stop_ms,
				  .end_ms = res->end_ms };

	timings_print(&run->ch, &h, stderr);
}

/*
 * Start QEMU and wait; the terminal is restored whatever QEMU did. Only a
 * pod with a tty gives QEMU the terminal; without one, QEMU's console
 * only writes to it, and the terminal stays as it was, Ctrl-C included.
 */
static int boot(struct run *run, char **argv, struct hpc_err *err)
{
	struct termios tio;
	bool have_tty = tcgetattr(STDIN_FILENO, &tio) == 0;
	struct vm_opts vo = {
		.argv = argv, .child_mask = &run->old_mask,
		.sigfd = run->sigfd, .listen_fd = run->listen_fd,
		.stderr_fd = run->err_fd,
		.timeout_s = run->opts.timeout,
		.stop_timeout_s = run->opts.stop_timeout,
		.terminal = run->m.tty, .channel = &run->ch,
	};
	struct vm_result res;
	int r;

	if (have_tty && run->m.tty)
		make_raw(&tio);
	r = vm_run(&vo, &res, err);
	run->listen_fd = -1;	/* vm_run owns it from the start */
	if (have_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &tio);
	if (r < 0)
		return r;
	qemu_messages(run, &res);
	if (!qemu_failed(run, &res))
		channel_report(&run->ch, run->m.containers, stderr);
	if (run->opts.timings)
		print_timings(run, &res);
	return exit_status(run, &res);
}

static void run_release(struct run *run)
{
	if (run->listen_fd >= 0)
		close(run->listen_fd);
	if (run->err_fd >= 0)
		close(run->err_fd);
	if (run->dir)
		remove_private_dir(run->dir);
	if (run->sigfd >= 0) {
		close(run->sigfd);
		sigprocmask(SIG_SETMASK, &run->old_mask, NULL);
	}
	free(run->dir);
	free(run->kernel);
	free(run->initrd);
	free(run->socket);
	free(run->vars);
	free(run->qemu_err);
	free(run->cmdline);
	podimage_release(&run->m);
	channel_release(&run->ch);
	strv_free(run->opts.publish);
}

/* --dry-run: the command as it would run, the private paths named. */
static int dry_run(struct run *run)
{
	char *dir = xasprintf("%s/hpc-run.XXXXXX", tmp_base());
	char **argv, *line;

	name_files(run, dir);
	argv = build_argv(run);
	line = qemu_shell_quote(argv);
	printf("%s\n", line);
	free(line);
	strv_free(argv);
	free(dir);
	return 0;
}

/*
 * --emit libvirt: the domain for the host that will run it, so "auto"
 * means KVM there; the disk by its absolute path.
 */
static int emit_libvirt(struct run *run, struct hpc_err *err)
{
	char *disk = realpath(run->opts.image, NULL);
	struct qemu_config c = {
		.name = run->m.name,
		.accel = run->opts.accel == ACCEL_TCG ? ACCEL_TCG : ACCEL_KVM,
		.memory = guest_memory(run),
		.cpus = run->opts.cpus ? run->opts.cpus : run->m.vcpu,
		.boot = run->opts.boot,
		.disk = disk,
		.disk_format = diskfmt_name(run->m.format),
		.ports = run->m.ports,
		.n_ports = run->m.n_ports,
	};
	int r;

	if (!disk)
		return err_set(err, -errno, "cannot resolve '%s': %s",
			       run->opts.image, strerror(errno));
	r = libvirt_domain(stdout, &c);
	free(disk);
	if (r < 0)
		return err_set(err, r, "cannot write the domain: %s",
			       strerror(-r));
	return 0;
}

int run_main(int argc, char **argv)
{
	struct run run = { .sigfd = -1, .listen_fd = -1, .err_fd = -1 };
	struct hpc_err err = { "" };
	char **qargv = NULL;
	int r;

	channel_init(&run.ch);
	r = parse_args(argc, argv, &run.opts);
	if (r != 0)
		return r > 0 ? 0 : RUN_EXIT_USAGE;
	/* Check the whole image before anything starts. */
	r = podimage_read(run.opts.image, &run.m, &err);
	if (r < 0 || run.opts.emit_libvirt) {
		if (r == 0)
			r = emit_libvirt(&run, &err);
		goto out;
	}
	choose_accel(&run);
	if (ports_publish(&run) < 0) {
		run_release(&run);
		return RUN_EXIT_USAGE;
	}
	run.cmdline = make_cmdline(&run);
	r = ports_assign(&run.m, !run.opts.dry_run, &err);
	if (r < 0)
		goto out;
	if (run.opts.dry_run) {
		r = dry_run(&run);
		goto out;
	}
	r = block_signals(&run, &err);
	if (r < 0)
		goto out;
	r = prepare(&run, &err);
	if (r < 0)
		goto out;
	qargv = build_argv(&run);
	raise_file_limit(run.m.n_ports);
	r = boot(&run, qargv, &err);
out:
	if (r < 0)
		fprintf(stderr, "hpc: %s\n", err.msg);
	strv_free(qargv);
	run_release(&run);
	return r < 0 ? RUN_EXIT_FAIL : r;
}
