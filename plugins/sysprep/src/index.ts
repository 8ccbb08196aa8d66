import { defineElement } from '@dib/core';
import type { PhaseContext } from '@dib/core';

/**
 * The script run in the chroot, as upstream's finalise.d/01-clear-machine-id: both ids emptied
 * (systemd makes a new one at first boot), so no two machines from one image share an id.
 */
export const CLEAR_MACHINE_ID = [
  'if [ -e /etc/machine-id ]; then : > /etc/machine-id; fi',
  'if [ -e /var/lib/dbus/machine-id ]; then : > /var/lib/dbus/machine-id; fi',
].join('\n');

/**
 * finalise 1 `clear-machine-id` (in the chroot, so image links never reach the host): first
 * in finalise.d, as upstream, so every later finalise script sees the cleared id.
 */
export async function clearMachineId(ctx: PhaseContext): Promise<void> {
  await ctx.target.sh(CLEAR_MACHINE_ID);
}

/** Prepares the image for first boot (machine-id). */
export default defineElement({
  name: 'sysprep',
  description: 'Prepares the image for first boot (machine-id).',
  deps: [],
  provides: [],
  apply(build) {
    build.hooks.finalise.tapPromise({ name: 'clear-machine-id', stage: 1 }, clearMachineId);
  },
});
