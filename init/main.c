/*
 * hpc-init: PID 1 inside the pod's VM (not written yet).
 */
int main(void)
{
	return 0;
}
