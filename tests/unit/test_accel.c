/*
 * test_accel: the accelerator choice and the KVM probe of the runtime
 * stub, against the real /dev/kvm of the machine running the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel.h"

static void test_parse(void **state)
{
	enum accel a;

	assert_int_equal(accel_parse("auto", &a), 0);
	assert_int_equal(a, ACCEL_AUTO);
	assert_int_equal(accel_parse("kvm", &a), 0);
	assert_int_equal(a, ACCEL_KVM);
	assert_int_equal(accel_parse("tcg", &a), 0);
	assert_int_equal(a, ACCEL_TCG);
	assert_int_equal(accel_parse("KVM", &a), -EINVAL);
	assert_int_equal(accel_parse("", &a), -EINVAL);
	assert_string_equal(accel_name(ACCEL_TCG), "tcg");
	assert_string_equal(accel_name(ACCEL_KVM), "kvm");
}

static void test_probe_missing_device(void **state)
{
	struct hpc_err err = { "" };

	assert_int_equal(accel_kvm_probe("/nonexistent/kvm", true, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "cannot open '/nonexistent/kvm'"));
}

static void test_probe_not_kvm(void **state)
{
	struct hpc_err err = { "" };

	assert_int_equal(accel_kvm_probe("/dev/null", true, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "'/dev/null' does not speak KVM"));
}

/* Forced choices never probe; auto falls back with the probe's reason. */
static void test_choose(void **state)
{
	struct hpc_err why = { "" };
	bool fell = true;

	assert_int_equal(accel_choose(ACCEL_KVM, "/nonexistent", &fell, &why),
			 ACCEL_KVM);
	assert_false(fell);
	assert_int_equal(accel_choose(ACCEL_TCG, "/dev/kvm", &fell, &why),
			 ACCEL_TCG);
	assert_false(fell);
	assert_int_equal(accel_choose(ACCEL_AUTO, "/nonexistent", &fell, &why),
			 ACCEL_TCG);
	assert_true(fell);
	assert_non_null(strstr(why.msg, "cannot open '/nonexistent'"));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Without paging the probe guest runs on any KVM (this machine's
 * included); this shows the guest set-up itself is sound, so a failure
 * with paging on is the host's and not the probe's.
 */
static void test_probe_control_without_paging(void **state)
{
	struct hpc_err err = { "" };
	int fd = open(ACCEL_KVM_DEVICE, O_RDWR);

	if (fd < 0) {
		assert_int_equal(accel_kvm_probe(ACCEL_KVM_DEVICE, false, &err),
				 -errno);
		assert_non_null(strstr(err.msg, "cannot open"));
		return;
	}
	close(fd);
	assert_int_equal(accel_kvm_probe(ACCEL_KVM_DEVICE, false, &err), 0);
}

/*
 * The real probe gives a verdict quickly, whatever it is, and leaves the
 * caller's SIGALRM timer and signal mask as they were.
 */
static void test_probe_paging_is_quick_and_clean(void **state)
{
	struct itimerval before = { .it_value = { .tv_sec = 100 } }, after;
	struct hpc_err err = { "" };
	sigset_t mask, mask_after;
	double t0;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGALRM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	setitimer(ITIMER_REAL, &before, NULL);
	t0 = now();
	r = accel_kvm_probe(ACCEL_KVM_DEVICE, true, &err);
	assert_true(now() - t0 < 2.0 * ACCEL_PROBE_MS / 1000 + 0.5);
	assert_true(r == 0 || err.msg[0] != '\0');
	getitimer(ITIMER_REAL, &after);
	assert_true(after.it_value.tv_sec > 90);
	sigprocmask(SIG_BLOCK, NULL, &mask_after);
	assert_true(sigismember(&mask_after, SIGALRM));
	memset(&after, 0, sizeof(after));
	setitimer(ITIMER_REAL, &after, NULL);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_probe_missing_device),
		cmocka_unit_test(test_probe_not_kvm),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_probe_control_without_paging),
		cmocka_unit_test(test_probe_paging_is_quick_and_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
