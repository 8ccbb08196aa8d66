/**
 * Paths inside the image, resolved from the host as the chroot would resolve them: an
 * absolute symlink in the image (`/var/lib/dbus/machine-id -> /etc/machine-id`) points into
 * the image, never at the host's file, and `..` stops at the image root.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { DibError } from '../errors.js';

const MAX_LINKS = 40;

/**
 * Host path of `path` (absolute or relative to `/` of the image) inside `root`, following
 * symlinks within the image. Missing components are kept as they are (the result may not
 * exist). With `followLast: false` the final component is not followed (for rename/unlink).
 */
export async function imagePath(root: string, path: string, opts: { followLast?: boolean } = {}): Promise<string> {
  const followLast = opts.followLast ?? true;
  let todo = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = join(root, ...done, part);
    const last = todo.length === 0;
    let st;
    try {
      st = await lstat(candidate);
    } catch {
      // the rest does not exist: nothing more to follow
      done.push(part, ...todo.filter((p) => p !== '.'));
      todo = [];
      break;
    }
    if (st.isSymbolicLink() && (!last || followLast)) {
      if (++links > MAX_LINKS) throw new DibError('E_INTERNAL', `too many levels of symbolic links below ${root} resolving ${path}`, { hint: 'a symlink loop in the image tree' });
      const target = await readlink(candidate);
      const parts = target.split('/').filter(Boolean);
      if (target.startsWith('/')) done.length = 0;
      todo = [...parts, ...todo];
      continue;
    }
    done.push(part);
  }
  // a '..' left in the unresolved tail is normalised lexically, clamped at the root
  return join(root, posix.normalize(`/${done.join('/')}`));
}
