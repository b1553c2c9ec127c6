/*
 * accel: the KVM probe and the choice between KVM and TCG. See accel.h.
 *
 * The probe guest is 64 KiB of memory: a page directory at 0x1000 whose
 * first entry maps the low 4 MiB with one PSE page (identity), and "hlt"
 * at 0x2000. It starts in 32-bit protected mode with flat segments and,
 * for the real test, CR0.PG and CR4.PSE set, so the very first fetch goes
 * through the page tables. Without an in-kernel irqchip, "hlt" comes back
 * to us as KVM_EXIT_HLT.
 */
#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#define GUEST_MEM 0x10000
#define GUEST_PGDIR 0x1000
#define GUEST_CODE 0x2000
#define GUEST_STACK 0x3000
/* Where QEMU puts the TSS that older Intel CPUs need; unused otherwise. */
#define GUEST_TSS 0xfffbd000

#define PDE_PRESENT 0x001
#define PDE_RW 0x002
#define PDE_PS 0x080
#define CR0_PE 0x00000001u
#define CR0_ET 0x00000010u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x00000010u
#define OP_HLT 0xf4

static const char *const accel_names[] = {
	[ACCEL_AUTO] = "auto",
	[ACCEL_KVM] = "kvm",
	[ACCEL_TCG] = "tcg",
};

struct probe {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

/* The vCPU the alarm handler asks to leave KVM_RUN. */
static struct kvm_run *volatile probe_running;

int accel_parse(const char *s, enum accel *ret)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accel_names); i++) {
		if (!strcmp(s, accel_names[i])) {
			*ret = (enum accel)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *accel_name(enum accel a)
{
	return accel_names[a];
}

static int probe_fail(struct hpc_err *err, const char *what)
{
	int e = errno;

	return err_set(err, -e, "%s failed: %s", what, strerror(e));
}

static int probe_open(struct probe *p, const char *dev, struct hpc_err *err)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
	};

	p->kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (p->kvm < 0)
		return err_set(err, -errno, "cannot open '%s': %s",
			       dev, strerror(errno));
	if (ioctl(p->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return err_set(err, -ENOTSUP, "'%s' does not speak KVM API %d",
			       dev, KVM_API_VERSION);
	p->vm = ioctl(p->kvm, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return probe_fail(err, "KVM_CREATE_VM");
	if (ioctl(p->vm, KVM_SET_TSS_ADDR, GUEST_TSS) < 0)
		return probe_fail(err, "KVM_SET_TSS_ADDR");
	p->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		return probe_fail(err, "mmap of the guest memory");
	}
	region.userspace_addr = (uintptr_t)p->mem;
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return probe_fail(err, "KVM_SET_USER_MEMORY_REGION");
	return 0;
}

static int probe_vcpu(struct probe *p, struct hpc_err *err)
{
	int n;

	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return probe_fail(err, "KVM_CREATE_VCPU");
	n = ioctl(p->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n < (int)sizeof(struct kvm_run))
		return probe_fail(err, "KVM_GET_VCPU_MMAP_SIZE");
	p->run = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->vcpu, 0);
	if (p->run == MAP_FAILED) {
		p->run = NULL;
		return probe_fail(err, "mmap of the vCPU");
	}
	p->run_size = n;
	return 0;
}

/* Flat 4 GiB 32-bit segments: code (type 11) or data (type 3). */
static void flat_segment(struct kvm_segment *s, unsigned sel, unsigned type)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel,
		.type = type, .present = 1, .dpl = 0, .db = 1, .s = 1,
		.g = 1,
	};
}

static int probe_setup(struct probe *p, bool paging, struct hpc_err *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = GUEST_CODE, .rsp = GUEST_STACK, .rflags = 0x2,
	};
	uint32_t pde = PDE_PRESENT | PDE_RW | PDE_PS;

	memcpy(p->mem + GUEST_PGDIR, &pde, sizeof(pde));
	p->mem[GUEST_CODE] = OP_HLT;
	if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return probe_fail(err, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, 0x08, 11);
	flat_segment(&sregs.ds, 0x10, 3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr3 = GUEST_PGDIR;
	sregs.cr4 = paging ? CR4_PSE : 0;
	sregs.cr0 = CR0_PE | CR0_ET | (paging ? CR0_PG : 0);
	sregs.efer = 0;
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return probe_fail(err, "KVM_SET_SREGS");
	if (ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0)
		return probe_fail(err, "KVM_SET_REGS");
	return 0;
}

static void probe_alarm(int sig)
{
	struct kvm_run *run = probe_running;

	/* Makes a KVM_RUN that has not started yet return at once. */
	if (run)
		run->immediate_exit = 1;
}

/* KVM_RUN under an alarm; 0 with the exit in p->run, or -errno. */
static int probe_run_timed(struct probe *p)
{
	struct sigaction sa = { .sa_handler = probe_alarm }, old_sa;
	struct itimerval it = {
		.it_value = { .tv_sec = ACCEL_PROBE_MS / 1000,
			      .tv_usec = ACCEL_PROBE_MS % 1000 * 1000 },
	}, old_it, off = { 0 };
	sigset_t alrm, old_mask;
	int r;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigemptyset(&sa.sa_mask);
	probe_running = p->run;
	sigaction(SIGALRM, &sa, &old_sa);
	sigprocmask(SIG_UNBLOCK, &alrm, &old_mask);
	setitimer(ITIMER_REAL, &it, &old_it);
	r = ioctl(p->vcpu, KVM_RUN, 0) < 0 ? -errno : 0;
	setitimer(ITIMER_REAL, &off, NULL);
	probe_running = NULL;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	setitimer(ITIMER_REAL, &old_it, NULL);
	return r;
}

/* Turn how the guest ended into 0 (it halted) or a reason. */
static int probe_verdict(const struct probe *p, bool paging,
			 struct hpc_err *err)
{
	const struct kvm_run *run = p->run;
	const char *mode = paging ? "with paging on" : "without paging";

	switch (run->exit_reason) {
	case KVM_EXIT_HLT:
		return 0;
	case KVM_EXIT_SHUTDOWN:
		return err_set(err, -EIO, "a test guest %s triple-faulted",
			       mode);
	case KVM_EXIT_FAIL_ENTRY:
		return err_set(err, -EIO, "KVM could not enter a test guest"
			       " (hardware reason 0x%llx)", (unsigned long long)
			       run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return err_set(err, -EIO, "KVM failed inside a test guest"
			       " (suberror %u)", run->internal.suberror);
	default:
		return err_set(err, -EIO, "a test guest %s stopped with KVM"
			       " exit reason %u", mode, run->exit_reason);
	}
}

static void probe_close(struct probe *p)
{
	if (p->run)
		munmap(p->run, p->run_size);
	if (p->mem)
		munmap(p->mem, GUEST_MEM);
	if (p->vcpu >= 0)
		close(p->vcpu);
	if (p->vm >= 0)
		close(p->vm);
	if (p->kvm >= 0)
		close(p->kvm);
}

int accel_kvm_probe(const char *dev, bool paging, struct hpc_err *err)
{
	struct probe p = { .kvm = -1, .vm = -1, .vcpu = -1 };
	int r;

	r = probe_open(&p, dev, err);
	if (r < 0)
		goto out;
	r = probe_vcpu(&p, err);
	if (r < 0)
		goto out;
	r = probe_setup(&p, paging, err);
	if (r < 0)
		goto out;
	r = probe_run_timed(&p);
	if (r == -EINTR)
		r = err_set(err, -ETIMEDOUT, "a test guest did not halt"
			    " within %d ms", ACCEL_PROBE_MS);
	else if (r < 0)
		r = err_set(err, r, "KVM_RUN failed: %s", strerror(-r));
	else
		r = probe_verdict(&p, paging, err);
out:
	probe_close(&p);
	return r;
}

enum accel accel_choose(enum accel want, const char *dev, bool *ret_fell_back,
			struct hpc_err *why)
{
	*ret_fell_back = false;
	if (want != ACCEL_AUTO)
		return want;
	if (accel_kvm_probe(dev, true, why) == 0)
		return ACCEL_KVM;
	*ret_fell_back = true;
	return ACCEL_TCG;
}
