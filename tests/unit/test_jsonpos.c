/*
 * Unit tests for jsonpos: the line and column of values found by path,
 * through strings with escapes, nested arrays and case-insensitive keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jsonpos.h"

static const char doc[] =
	"{\n"
	"  \"name\": \"a \\\"quoted\\\" ]}, name\",\n"
	"  \"containers\": [\n"
	"    {\"image\": \"x\", \"ports\": [{\"hostPort\": 80}]},\n"
	"    {\"Image\": [], \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}\n"
	"  ]\n"
	"}\n";

static void where(const struct jsonpos *jp, const cJSON *root,
		  const char *path, unsigned int line, unsigned int col,
		  bool whole)
{
	unsigned int l, c;
	bool w;

	jsonpos_where(jp, jsonpos_find(root, path, &w), &l, &c);
	assert_int_equal(l, line);
	assert_int_equal(c, col);
	assert_int_equal(w, whole);
}

static void finds_values(void **state)
{
	cJSON *root = cJSON_Parse(doc);
	struct jsonpos jp;

	(void)state;
	assert_non_null(root);
	jsonpos_index(&jp, doc, strlen(doc), root);
	where(&jp, root, "", 1, 1, true);
	where(&jp, root, "name", 2, 11, true);
	where(&jp, root, "containers", 3, 17, true);
	where(&jp, root, "containers[0].ports[0].hostPort", 4, 43, true);
	where(&jp, root, "containers[1].image", 5, 15, true);
	where(&jp, root, "containers[1].sysctl[\"net.ipv4.ip_forward\"]",
	      5, 53, true);
	/* missing parts fall back to what holds them */
	where(&jp, root, "containers[1].workdir", 5, 5, false);
	where(&jp, root, "containers[7]", 3, 17, false);
	jsonpos_release(&jp);
	cJSON_Delete(root);
}

static void line_col(void **state)
{
	unsigned int l, c;

	(void)state;
	jsonpos_line_col("ab\ncd\n", 4, &l, &c);
	assert_int_equal(l, 2);
	assert_int_equal(c, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_values),
		cmocka_unit_test(line_col),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
