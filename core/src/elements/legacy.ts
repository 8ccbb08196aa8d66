/**
 * DIB-style directory elements (element-deps, element-provides, <phase>.d scripts, …).
 */
import fs from 'fs-extra';
import path from 'node:path';
import { PHASE_NAMES } from '../build/phases.js';
import { defineElement, type Element } from './contract.js';

const MARKERS = ['element-deps', 'element-provides', 'environment.d', 'package-installs.yaml', 'package-installs.json', 'pkg-map', 'static', 'bin', ...PHASE_NAMES.map((p) => `${p}.d`)];

export async function isDirectoryElement(dir: string): Promise<boolean> {
  for (const m of MARKERS) if (await fs.pathExists(path.join(dir, m))) return true;
  return (await fs.readdir(dir)).some((f) => f.startsWith('source-repository-') || f.startsWith('block-device-'));
}

/** element-deps / element-provides: one name per line, stripped, blanks ignored, no comments. */
export async function readNameList(file: string): Promise<string[]> {
  if (!(await fs.pathExists(file))) return [];
  return (await fs.readFile(file, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export async function loadDirectoryElement(dir: string, name: string): Promise<Element> {
  return defineElement({
    name,
    description: `DIB element directory ${dir}`,
    deps: await readNameList(path.join(dir, 'element-deps')),
    provides: await readNameList(path.join(dir, 'element-provides')),
  });
}
