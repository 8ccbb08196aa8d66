/**
 * DIB-style directory elements (element-deps, element-provides, environment.d, <phase>.d
 * scripts, static/, bin/, source-repository-*, …). The element itself is built in
 * core/src/dib-elements/element.ts.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { PHASE_NAMES } from '../contract/phases.js';
import { loadLegacyElement, readNameList } from '../dib-elements/element.js';
import type { Element } from '../contract/element.js';

export { readNameList };

const MARKERS = ['element-deps', 'element-provides', 'environment.d', 'package-installs.yaml', 'package-installs.json', 'pkg-map', 'static', 'bin', ...PHASE_NAMES.map((p) => `${p}.d`)];

export async function isDirectoryElement(dir: string): Promise<boolean> {
  for (const m of MARKERS) if (await fs.pathExists(path.join(dir, m))) return true;
  return (await fs.readdir(dir)).some((f) => f.startsWith('source-repository-') || f.startsWith('block-device-'));
}

/** A DIB element directory as an Element whose taps are its scripts. */
export async function loadDirectoryElement(dir: string, name: string): Promise<Element> {
  return loadLegacyElement(dir, name);
}
