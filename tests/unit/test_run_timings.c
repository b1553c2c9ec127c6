/*
 * test_run_timings: "hpc run --timings" (runtime-stub/timings.c) and the
 * exit channel's "time" and "zombies" lines it reads (channel.c): the
 * guest's marks are placed on the host's clock by the smallest delay.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channel.h"
#include "timings.h"

/* Feed s as if it arrived at host time at_ms. */
static void feed_at(struct channel *ch, int64_t at_ms, const char *s)
{
	ch->now_ms = at_ms;
	channel_feed(ch, s, strlen(s));
}

static void test_marks_parsed(void **state)
{
	struct channel ch;

	channel_init(&ch);
	feed_at(&ch, 5000, "time 1200 init\ntime 1300 started web\n");
	feed_at(&ch, 9000, "zombies 0\ntime 1400\ntime x init\n");
	assert_int_equal(ch.n_marks, 2);
	assert_int_equal(ch.marks[0].guest_ms, 1200);
	assert_int_equal(ch.marks[0].host_ms, 5000);
	assert_string_equal(ch.marks[1].what, "started web");
	assert_int_equal(ch.zombies, 0);
	/* A mark without an event, or with no number, is a bad line. */
	assert_non_null(ch.bad);
	assert_string_equal(ch.bad[0], "time 1400");
	assert_string_equal(ch.bad[1], "time x init");
	channel_release(&ch);
}

static void test_offset(void **state)
{
	struct channel ch;
	int64_t off = -1;

	channel_init(&ch);
	assert_int_equal(timings_offset(&ch, &off), -ENOENT);
	/* Late arrivals (buffered before the channel opened) do not count. */
	feed_at(&ch, 9000, "time 1000 init\n");
	feed_at(&ch, 6100, "time 3000 ready\n");
	feed_at(&ch, 6500, "time 3300 started a\n");
	assert_int_equal(timings_offset(&ch, &off), 0);
	assert_int_equal(off, 3100);
	channel_release(&ch);
}

static void test_print(void **state)
{
	struct timings_host h = { .start_ms = 1000, .stop_ms = 5000,
				  .end_ms = 8000 };
	struct channel ch;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	channel_init(&ch);
	feed_at(&ch, 3000, "time 1000 init\n");
	feed_at(&ch, 3200, "time 1200 modules\n");
	feed_at(&ch, 3300, "time 1300 network\n");
	feed_at(&ch, 3500, "time 1500 started web\n");
	feed_at(&ch, 6000, "time 4000 exit web\n");
	feed_at(&ch, 6100, "time 4100 pod\n");
	timings_print(&ch, &h, f);
	fclose(f);
	assert_string_equal(buf,
		"hpc: timing:    0.000 s  qemu started\n"
		"hpc: timing:    2.000 s  init started (guest clock 1.000 s)\n"
		"hpc: timing:    2.200 s  kernel modules loaded"
		" (guest clock 1.200 s)\n"
		"hpc: timing:    2.300 s  network set up (guest clock 1.300 s)\n"
		"hpc: timing:    2.500 s  container 'web' started"
		" (guest clock 1.500 s)\n"
		"hpc: timing:    4.000 s  stop request sent to the guest\n"
		"hpc: timing:    5.000 s  container 'web' exited"
		" (guest clock 4.000 s)\n"
		"hpc: timing:    5.100 s  pod ended, powering off"
		" (guest clock 4.100 s)\n"
		"hpc: timing:    7.000 s  qemu ended\n");
	free(buf);
	channel_release(&ch);
}

static void test_zombies_warned(void **state)
{
	struct channel ch;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	channel_init(&ch);
	feed_at(&ch, 0, "zombies 3\npod 0\n");
	channel_report(&ch, NULL, f);
	fclose(f);
	assert_string_equal(buf, "hpc: warning: the pod left 3 zombie"
			    " processes unreaped\n");
	free(buf);
	channel_release(&ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks_parsed),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_zombies_warned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
