import { defineElement } from '@dib/core';
import type { PhaseContext } from '@dib/core';

/** The script run in the chroot: empty dbus' id, `uninitialized` for first-boot semantics. */
export const CLEAR_MACHINE_ID = [
  'if [ -e /var/lib/dbus/machine-id ]; then : > /var/lib/dbus/machine-id; fi',
  'if [ -e /etc/machine-id ]; then echo uninitialized > /etc/machine-id; fi',
].join('\n');

/** finalise 99 `clear-machine-id` (in the chroot, so image links never reach the host). */
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
    build.hooks.finalise.tapPromise({ name: 'clear-machine-id', stage: 99 }, clearMachineId);
  },
});
