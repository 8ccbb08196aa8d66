/**
 * The identifiers dib chooses for a disk — filesystem UUIDs, FAT volume ids, ext4 hash seeds,
 * the GPT disk GUID and partition GUIDs, the MBR disk signature, a VHD's UUID — derived from
 * one seed, so that two builds of one config get the same ones (as mkosi's `Seed=`). Each id is
 * HMAC-SHA256(seed, purpose), so ids for different purposes are unrelated and none reveals the
 * seed; UUIDs carry the version-4 and RFC 4122 variant bits, as systemd's derived ids do.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Where the layout takes its identifiers from. */
export interface IdSource {
  /** an RFC 4122 UUID (lower case) for `purpose` */
  uuid(purpose: string): string;
  /** a FAT volume id `XXXX-XXXX` */
  volumeId(purpose: string): string;
  /** a 32-bit number (the MBR disk signature) */
  u32(purpose: string): number;
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function fromBytes(bytes: (purpose: string) => Buffer): IdSource {
  return {
    uuid(purpose) {
      const b = Buffer.from(bytes(`uuid:${purpose}`).subarray(0, 16));
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      return formatUuid(b);
    },
    volumeId(purpose) {
      const h = bytes(`volume-id:${purpose}`).subarray(0, 4).toString('hex').toUpperCase();
      return `${h.slice(0, 4)}-${h.slice(4)}`;
    },
    u32(purpose) {
      return bytes(`u32:${purpose}`).readUInt32LE(0);
    },
  };
}

/** Identifiers derived from `seed`: the same seed and purpose always give the same id. */
export function seededIds(seed: string): IdSource {
  return fromBytes((purpose) => createHmac('sha256', seed).update(purpose).digest());
}

/** Random identifiers (a layout planned without a seed, as in unit tests). */
export function randomIds(): IdSource {
  return fromBytes(() => randomBytes(32));
}
