/*
 * power: a clean power-off (see power.h).
 */
#include "power.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "console.h"
#include "mounts.h"
#include "reap.h"
#include "report.h"

void power_off(void)
{
	int status;

	kill(-1, SIGKILL);
	while (reap_one(&status) > 0)
		;
	report_close();
	sync();
	mounts_release();
	sync();
	reboot(RB_POWER_OFF);
	console_say("cannot power off: %s", strerror(errno));
	for (;;)
		pause();
}
