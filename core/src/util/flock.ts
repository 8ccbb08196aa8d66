/**
 * A try-lock held by the kernel for as long as this process lives: flock(2) on a file, taken by
 * util-linux `flock` on a descriptor this process keeps open (the lock belongs to the open file
 * description, so it outlives the `flock` child and is released when dib closes the descriptor
 * or dies in any way, SIGKILL included). It knows nothing of process ids, so it means the same
 * across PID namespaces and containers sharing a directory.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { findTool } from './find-tool.js';

export interface FileLock {
  /** close the descriptor: the lock is released */
  release(): void;
}

/** Lock `file` (created if missing) exclusively without waiting; undefined when someone holds it. */
export function tryLockFile(file: string): FileLock | undefined {
  const fd = openSync(file, constants.O_RDONLY | constants.O_CREAT, 0o600);
  const r = spawnSync(findTool('flock') ?? 'flock', ['--exclusive', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
  if (r.status === 0) {
    let open = true;
    return {
      release() {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }
  closeSync(fd);
  return undefined;
}
