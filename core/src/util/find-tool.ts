/** Looking a program up on PATH, the way a shell would (plus the sbin directories root has). */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Look a command up on PATH (plus the sbin directories); returns its path or undefined. */
export function findTool(command: string, pathEnv: string | undefined = process.env.PATH): string | undefined {
  if (command.includes('/')) return isExecutable(command) ? command : undefined;
  const dirs = [...(pathEnv ?? '').split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const p = join(dir, command);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
