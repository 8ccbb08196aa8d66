/**
 * DIB's host scripts call `sudo` for privileged steps (`sudo cp … $TMP_MOUNT_PATH/…`). dib
 * already runs them as root, and many hosts (containers, CI) have no sudo: when none is on
 * PATH, a shim that accepts sudo's usual options and runs the command (as another user for
 * `-u USER`) is put at the end of the host scripts' PATH.
 */
import fs from 'fs-extra';
import path from 'node:path';

export const SUDO_SHIM = `#!/bin/sh
# dib: host scripts already run as root; this stands in for sudo where it is not installed.
user=
while [ $# -gt 0 ]; do
  case "$1" in
    -u|--user) user=$2; shift 2 ;;
    --user=*) user=\${1#--user=}; shift ;;
    -g|--group|-C|-h|--host|-p|--prompt|-r|--role|-t|--type|-D|--chdir) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "sudo (dib shim): no command" >&2; exit 1; }
if [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ]; then
  exec runuser -u "$user" -- env "$@"
fi
exec env "$@"
`;

function onPath(cmd: string, pathEnv: string): boolean {
  return pathEnv.split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/** Write the shim into `dir` when `sudo` is not on PATH; returns the directory to add, if any. */
export async function sudoShimDir(dir: string, pathEnv = process.env.PATH ?? ''): Promise<string | undefined> {
  if (onPath('sudo', pathEnv)) return undefined;
  await fs.ensureDir(dir);
  await fs.writeFile(path.join(dir, 'sudo'), SUDO_SHIM, { mode: 0o755 });
  return dir;
}
