/*
 * test_init_partitions: recognising a GPT partition by name in a block
 * device's sysfs uevent (init/partitions.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <cmocka.h>

#include "partitions.h"

static const char vda4[] =
	"MAJOR=254\n"
	"MINOR=4\n"
	"DEVNAME=vda4\n"
	"DEVTYPE=partition\n"
	"DISKSEQ=1\n"
	"PARTN=4\n"
	"PARTNAME=hpc-root-0\n";

static void test_match(void **state)
{
	char name[32];
	dev_t dev = 0;

	assert_int_equal(partitions_uevent_match(vda4, "hpc-root-0", name,
						 sizeof(name), &dev), 1);
	assert_string_equal(name, "vda4");
	assert_int_equal(major(dev), 254);
	assert_int_equal(minor(dev), 4);
}

static void test_no_match(void **state)
{
	char name[32];
	dev_t dev;

	assert_int_equal(partitions_uevent_match(vda4, "hpc-root-1", name,
						 sizeof(name), &dev), 0);
	/* A prefix of the name is not the name. */
	assert_int_equal(partitions_uevent_match(vda4, "hpc-root-", name,
						 sizeof(name), &dev), 0);
	assert_int_equal(partitions_uevent_match(
		"MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n",
		"hpc-root-0", name, sizeof(name), &dev), 0);
	assert_int_equal(partitions_uevent_match(
		"MAJOR=x\nMINOR=4\nDEVNAME=vda4\nPARTNAME=hpc-root-0\n",
		"hpc-root-0", name, sizeof(name), &dev), 0);
	assert_int_equal(partitions_uevent_match(
		"MAJOR=254\nMINOR=4\nDEVNAME=../vda4\nPARTNAME=hpc-root-0\n",
		"hpc-root-0", name, sizeof(name), &dev), 0);
	assert_int_equal(partitions_uevent_match(
		"MAJOR=254\nMINOR=4\nPARTNAME=hpc-root-0\n",
		"hpc-root-0", name, sizeof(name), &dev), 0);
}

static void test_last_line_without_newline(void **state)
{
	char name[32];
	dev_t dev;

	assert_int_equal(partitions_uevent_match(
		"PARTNAME=hpc-vol-data\nMAJOR=8\nMINOR=17\nDEVNAME=sdb1",
		"hpc-vol-data", name, sizeof(name), &dev), 1);
	assert_string_equal(name, "sdb1");
	assert_int_equal(major(dev), 8);
	assert_int_equal(minor(dev), 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_last_line_without_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
