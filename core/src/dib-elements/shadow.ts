/**
 * Warnings, before any work, about DIB element directories that cannot work as DIB's do:
 *  - a directory on ELEMENTS_PATH named like a built-in element replaces it (DIB's rule: whole
 *    elements are replaced). Upstream's `vm`, `bootloader`, `block-device-*` put there shadow
 *    dib's loopless ones;
 *  - scripts that use DIB's loop device (`IMAGE_BLOCK_DEVICE`, `IMAGE_BLOCK_DEVICES`, kpartx,
 *    losetup): dib builds the disk from files after the phases and never makes one, so those
 *    scripts fail (upstream's bootloader at finalise, minutes into the build).
 */
import fs from 'fs-extra';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PHASES } from '../contract/phases.js';

const CORE_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** DIB elements dib reimplements without a loop device (the disk is made from files). */
export const LOOPLESS_REPLACEMENTS: ReadonlySet<string> = new Set(['vm', 'bootloader', 'block-device-mbr', 'block-device-gpt', 'block-device-efi']);
const LOOP_DEVICE_USE = /\b(IMAGE_BLOCK_DEVICES?|kpartx|losetup)\b/;

/** The directory of the built-in element package `name`, if dib has one. */
export function builtInElementDir(name: string): string | undefined {
  try {
    return path.dirname(createRequire(path.join(CORE_DIR, 'noop.js')).resolve(`@dib/element-${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** Scripts of a DIB element directory that use DIB's loop device (`<phase>.d/<name>`). */
export async function loopDeviceScripts(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of PHASES) {
    const phaseDir = path.join(dir, `${p.phase}.d`);
    for (const n of (await fs.readdir(phaseDir).catch(() => [] as string[])).sort()) {
      const file = path.join(phaseDir, n);
      if (!(await fs.stat(file).catch(() => undefined))?.isFile()) continue;
      const text = await fs.readFile(file, 'utf8').catch(() => '');
      if (LOOP_DEVICE_USE.test(text)) out.push(`${p.phase}.d/${n}`);
    }
  }
  return out;
}

/**
 * What to say about one directory element: warnings (a loopless replacement shadowed, loop
 * device users) and notes (another built-in replaced, as DIB's ELEMENTS_PATH allows).
 */
export async function directoryElementWarnings(name: string, dir: string): Promise<{ warnings: string[]; notes: string[] }> {
  const warnings: string[] = [];
  const notes: string[] = [];
  const builtIn = builtInElementDir(name);
  const loops = await loopDeviceScripts(dir);
  const loopNote = loops.length
    ? ` ${loops.join(', ')} use${loops.length === 1 ? 's' : ''} DIB's loop device (IMAGE_BLOCK_DEVICE…), which dib never makes (it builds the disk from files after the phases): ${loops.length === 1 ? 'it' : 'they'} will fail`
    : '';
  const replaced = `element ${name} from ${dir} (elementsPath/ELEMENTS_PATH) replaces dib's built-in ${name}`;
  if (builtIn && (LOOPLESS_REPLACEMENTS.has(name) || loops.length)) {
    warnings.push(`${replaced} (dib's loopless version of DIB's ${name})${loopNote ? `;${loopNote}` : ''}; to use dib's, take ${path.dirname(dir)} off ELEMENTS_PATH or copy only the elements you need from it`);
  } else if (builtIn) {
    notes.push(`${replaced}`);
  } else if (loops.length) {
    warnings.push(`element ${name} (${dir}):${loopNote}`);
  }
  return { warnings, notes };
}
