/**
 * The element list reaches DIB scripts through a file: with more elements than one environment
 * string can hold (128 KiB; DIB's exported get_image_element_array made every script fail with
 * E2BIG), host and chroot scripts still start, get_image_element_array lists every element, and
 * IMAGE_ELEMENT_YAML, too large to pass, is named by IMAGE_ELEMENT_YAML_FILE.
 */
import test from 'ava';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const root = isRoot ? test.serial : test.skip;

root('800 DIB elements with long paths: every script starts and sees them all', async (t) => {
  t.timeout(5 * 60 * 1000);
  const dir = await tmpDir('dib-many-');
  // ~240 bytes per [name]=path entry: 800 of them are > 180 KiB
  const els = path.join(dir, ...Array.from({ length: 4 }, () => 'elements-with-a-rather-long-directory-name-so-that-every-path-is-long'));
  const names: string[] = [];
  for (let i = 0; i < 800; i++) {
    const name = `generated-element-number-${String(i).padStart(4, '0')}`;
    await mkdir(path.join(els, name), { recursive: true });
    await writeFile(path.join(els, name, 'element-deps'), '');
    names.push(name);
  }
  const script = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(els, rel)), { recursive: true });
    await writeFile(path.join(els, rel), text);
    await chmod(path.join(els, rel), 0o755);
  };
  await script('probe/extra-data.d/50-host', '#!/bin/bash\neval declare -A a=($(get_image_element_array)); echo "host: ${#a[@]} elements, last ${a[generated-element-number-0799]}, yaml $(wc -l < "$IMAGE_ELEMENT_YAML_FILE") lines"\n');
  await script('probe/install.d/50-chroot', '#!/bin/sh\necho "chroot: IMAGE_ELEMENT has $(echo $IMAGE_ELEMENT | wc -w) names"\n');
  const t0 = performance.now();
  const r = await dib(['build', '-o', path.join(dir, 'img'), '-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', path.join(dir, 'cache'), 'busybox-root', 'probe', ...names], { env: { ELEMENTS_PATH: els } });
  t.is(r.exitCode, 0, r.all.split('\n').slice(-20).join('\n'));
  t.notRegex(r.all, /E2BIG/);
  const total = names.length + 9; // and busybox-root, probe, base and what they bring
  t.regex(r.stderr, new RegExp(`host: (\\d+) elements, last ${els}/generated-element-number-0799, yaml \\d+ lines`));
  const count = Number(/host: (\d+) elements/.exec(r.stderr)![1]);
  t.true(count >= names.length + 2 && count <= total, `${count} elements`);
  t.regex(r.stderr, new RegExp(`chroot: IMAGE_ELEMENT has ${count} names`));
  t.regex(r.stderr, /WARNING: IMAGE_ELEMENT_YAML is too large for one environment variable \(\d+ elements\): DIB scripts find it in the file \$IMAGE_ELEMENT_YAML_FILE/);
  t.log(`${count} elements, build ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
