/**
 * The shape shared by DIB's block-device-* elements: they provide `block-device`, export
 * `DIB_BLOCK_DEVICE`, refuse the architectures DIB refuses, propose a layout and need the host
 * tools that write it.
 */
import type { BlockDeviceConfig } from '../config/schema.js';
import { defineElement, type Element, type Env, type HostTool } from './element.js';
import { DibError } from '../errors.js';
import { archFamily, type ArchFamily } from '../util/arch.js';

export interface BlockDeviceElementOptions {
  name: string;
  description: string;
  /** the value of DIB_BLOCK_DEVICE: mbr, gpt, efi */
  kind: string;
  /** architecture families this layout cannot boot, and what to use instead */
  refuse: { families: readonly ArchFamily[]; hint: string };
  /** the layout per architecture family (block-device-default.yaml / -<arch>.yaml) */
  layout: (family: ArchFamily) => BlockDeviceConfig;
  /** host tools beyond sfdisk */
  hostTools?: HostTool[];
}

export function defineBlockDeviceElement(o: BlockDeviceElementOptions): Element {
  return defineElement({
    name: o.name,
    description: o.description,
    deps: [],
    provides: ['block-device'],
    environment: (env: Readonly<Env>): Env => {
      if (o.refuse.families.includes(archFamily(env.ARCH))) {
        throw new DibError('E_ELEMENT_INVALID', `${o.name} does not support ARCH=${env.ARCH}`, { hint: o.refuse.hint });
      }
      return { DIB_BLOCK_DEVICE: o.kind };
    },
    blockDevice: (env) => o.layout(archFamily(env.ARCH)),
    hostTools: [{ command: 'sfdisk', package: 'fdisk', why: 'writes the partition table on the image file' }, ...(o.hostTools ?? [])],
  });
}
