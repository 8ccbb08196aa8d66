import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';

/** Test cache shared by the Debian integration tests (kept between runs). */
export const TEST_CACHE = process.env.DIB_TEST_CACHE ?? '/var/tmp/dib-test-cache';
export const TEST_MIRROR = process.env.DIB_TEST_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
export const MINBASE_TARBALL = path.join(TEST_CACHE, 'seed-debian', 'bookworm-minbase-amd64.tar');

/** A bookworm minbase tarball, made once with mmdebstrap (written to a temp name, then renamed). */
export async function cachedMinbaseRoot(): Promise<string> {
  if (existsSync(MINBASE_TARBALL)) return MINBASE_TARBALL;
  await mkdir(path.dirname(MINBASE_TARBALL), { recursive: true });
  const tmp = `${MINBASE_TARBALL}.${process.pid}.tmp.tar`;
  await execa('mmdebstrap', ['--variant=minbase', '--architectures=amd64', 'bookworm', tmp, TEST_MIRROR], { stdio: 'inherit' });
  await rename(tmp, MINBASE_TARBALL);
  return MINBASE_TARBALL;
}
