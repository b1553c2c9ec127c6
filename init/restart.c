/*
 * restart: policy and backoff (see restart.h).
 */
#include "restart.h"

int restart_wanted(enum plan_restart policy, int status)
{
	switch (policy) {
	case PLAN_RESTART_ALWAYS:
		return 1;
	case PLAN_RESTART_ON_FAILURE:
		return status != 0;
	case PLAN_RESTART_NEVER:
		break;
	}
	return 0;
}

unsigned restart_delay(unsigned prev_ms, uint64_t ran_ms)
{
	if (!prev_ms || ran_ms >= RESTART_RESET_MS)
		return RESTART_FIRST_MS;
	if (prev_ms >= RESTART_MAX_MS / 2)
		return RESTART_MAX_MS;
	return prev_ms * 2;
}
