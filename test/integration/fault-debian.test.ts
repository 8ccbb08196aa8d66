/**
 * A signal during a cold mmdebstrap bootstrap of Debian (network: the Debian mirror): dib stops
 * within 5 s and leaves no mmdebstrap worker, no mount and no work dir (was: 65 s, mmdebstrap's
 * worker ran on).
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { MARKER_VAR, leftovers, newMarker, pollUntil, processesWithMarker, startDib, stopWith } from '../helpers/fault.js';
import { tmpDir } from '../helpers/tmp.js';
import { TEST_MIRROR } from '../helpers/debian-root.js';

const root = process.getuid?.() === 0 ? test : test.skip;

root('SIGINT during a cold mmdebstrap bootstrap stops within 5 s; nothing of mmdebstrap is left', async (t) => {
  const dir = await tmpDir('dib-fault-debian-');
  const work = path.join(dir, 'work');
  await fs.ensureDir(work);
  const marker = newMarker();
  const env = { [MARKER_VAR]: marker, DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: TEST_MIRROR };
  // an empty cache: the root is bootstrapped from the mirror
  const run = startDib(['build', '-o', 'deb', '-t', 'tar', '--work-dir', work, '--image-cache', path.join(dir, 'cache'), 'debian-minimal'], { cwd: dir, env });
  await run.waitFor(/bootstrapping .* with mmdebstrap/, 120_000);
  // well into the bootstrap: mmdebstrap and its workers (apt, dpkg) are running
  await pollUntil(async () => (await processesWithMarker(marker)).filter((p) => /mmdebstrap|apt|dpkg/.test(p.cmd)).length >= 2, 30_000);
  await new Promise((r) => setTimeout(r, 3000));
  const during = (await processesWithMarker(marker)).filter((p) => /mmdebstrap|apt|dpkg/.test(p.cmd));
  t.true(during.length > 0, 'mmdebstrap is running');
  const { seconds, ...r } = await stopWith(run, 'SIGINT');
  t.is(r.exitCode, 130, run.output().slice(-3000));
  t.true(seconds <= 5, `stopped in ${seconds.toFixed(1)} s`);
  t.deepEqual(await leftovers(dir, work, marker), []);
  t.log(`SIGINT during mmdebstrap (${during.length} of its processes running): exit ${r.exitCode} in ${seconds.toFixed(2)} s`);
});
