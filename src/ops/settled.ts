/** Waiting for an ARM resource to leave a transitional provisioningState; shared by `up` and `capacity`. */

const inProgress = /^(Creating|Accepted|Updating|InProgress|Waiting|Deleting|Provisioning|Running|Moving|ScheduledForDelete)$/i;

/**
 * Reads a resource until its provisioningState is terminal (or it is gone), so a run that was stopped
 * while ARM was still working on a resource waits for that work instead of colliding with it.
 */
export async function settled<T extends { provisioningState: string | undefined }>(read: () => Promise<T | undefined>, pollMs: number): Promise<T | undefined> {
  for (;;) {
    const state = await read();
    if (!state || !inProgress.test(state.provisioningState ?? '')) return state;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export const succeeded = (state: { provisioningState: string | undefined } | undefined): boolean => state?.provisioningState?.toLowerCase() === 'succeeded';
