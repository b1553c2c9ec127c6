/*
 * power: a clean power-off (see power.h).
 */
#include "power.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "console.h"
#include "mounts.h"
#include "reap.h"
#include "report.h"

/*
 * The kernel's own "reboot: Power down" is an emergency message that
 * "quiet" does not hide; once the pod's output is out, nothing more is
 * worth showing, so silence the console.
 */
static void quiet_console(void)
{
	int fd = open("/proc/sys/kernel/printk", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "0\n", 2) < 0)
		console_say("cannot quiet the console: %s, ignoring",
			    strerror(errno));
	close(fd);
}

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
	quiet_console();
	reboot(RB_POWER_OFF);
	console_say("cannot power off: %s", strerror(errno));
	for (;;)
		pause();
}
