/**
 * DIB_BLOCK_DEVICE_CONFIG (docs/dib-behaviour.md#block-device-config): `file://PATH` names a YAML file, any other
 * non-empty value is the YAML itself.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { DibError } from '../errors.js';

/** Parse block-device YAML text; `source` names it in errors. */
export function loadBlockDeviceConfigText(text: string, source: string): unknown {
  try {
    return parse(text) as unknown;
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new DibError('E_BLOCK_DEVICE_CONFIG', `${source}: not valid YAML: ${first}`, { hint: 'fix the YAML syntax of the block-device config' });
  }
}

/** The config and its source name from a DIB_BLOCK_DEVICE_CONFIG value. */
export async function blockDeviceConfigFromEnv(value: string): Promise<{ config: unknown; source: string }> {
  if (value.startsWith('file://')) {
    const path = value.slice('file://'.length);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new DibError('E_BLOCK_DEVICE_CONFIG', `DIB_BLOCK_DEVICE_CONFIG: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'point DIB_BLOCK_DEVICE_CONFIG=file://… at a readable YAML file' });
    }
    return { config: loadBlockDeviceConfigText(text, path), source: path };
  }
  return { config: loadBlockDeviceConfigText(value, 'DIB_BLOCK_DEVICE_CONFIG'), source: 'DIB_BLOCK_DEVICE_CONFIG' };
}
