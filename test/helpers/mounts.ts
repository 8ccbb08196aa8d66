import { mountsBelow } from '@dib/core/internal/chroot/mounts.js';

/** Mount points at or below `dir` in this process's mount table (the host's, for a test). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return mountsBelow(dir);
}
