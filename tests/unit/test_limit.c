/*
 * test_limit: the limits' flags (numbers, size suffixes, ranges), the
 * message of an exceeded limit, and the JSON depth scan of stage "spec".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "limit.h"

static void test_set_sizes(void **state)
{
	struct hpc_err err = { .msg = "" };
	struct limits saved = limits;

	(void)state;
	assert_int_equal(limit_set("max-layer-size", "2G", &err), 0);
	assert_true(limits.layer_bytes == 2ull << 30);
	assert_int_equal(limit_set("max-pod-size", "16MiB", &err), 0);
	assert_true(limits.pod_bytes == 16u << 20);
	assert_int_equal(limit_set("max-layers", "7", &err), 0);
	assert_true(limits.layers == 7);
	limits = saved;
}

static void test_set_refuses(void **state)
{
	struct hpc_err err = { .msg = "" };
	struct limits saved = limits;

	(void)state;
	assert_int_equal(limit_set("max-layers", "2G", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--max-layers: '2G'"));
	assert_int_equal(limit_set("max-layers", "0", &err), -EINVAL);
	assert_int_equal(limit_set("max-layers", "-1", &err), -EINVAL);
	assert_int_equal(limit_set("max-layers", "", &err), -EINVAL);
	assert_int_equal(limit_set("max-json-depth", "901", &err), -EINVAL);
	assert_int_equal(limit_set("max-layer-size", "99999999999T", &err),
			 -EINVAL);
	assert_int_equal(limit_set("no-such-limit", "1", &err), -ENOENT);
	assert_memory_equal(&saved, &limits, sizeof(limits));
}

static void test_exceeded_names_flag(void **state)
{
	struct hpc_err err = { .msg = "" };

	(void)state;
	assert_int_equal(limit_exceeded(&err, -E2BIG, &limits.layers, 300,
					"manifest: layers"), -E2BIG);
	assert_string_equal(err.msg, "manifest: layers: 300, over the limit "
			    "of 256 (--max-layers raises it)");
}

static void test_json_depth(void **state)
{
	static const char deep[] = "[[[[{\"a\": [1]}]]]]";
	static const char quoted[] = "{\"a\": \"[[[[[[\\\"[[[\"}";

	(void)state;
	assert_true(limit_json_depth(deep, strlen(deep), 100) == 6);
	assert_true(limit_json_depth(quoted, strlen(quoted), 100) == 1);
	assert_true(limit_json_depth("]]]", 3, 100) == 0);
	/* the scan stops once past the limit */
	assert_true(limit_json_depth(deep, strlen(deep), 2) == 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_sizes),
		cmocka_unit_test(test_set_refuses),
		cmocka_unit_test(test_exceeded_names_flag),
		cmocka_unit_test(test_json_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
