/** Image-size values of the config: a number is GiB (as --image-size), a string has a unit. */
const UNITS: Record<string, number> = {
  B: 1,
  K: 1e3,
  KB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
  T: 1e12,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Bytes of an image size (number = GiB, string = `<num>[ ]<unit>` with DIB's units). */
export function imageSizeBytes(v: number | string): number {
  if (typeof v === 'number') return Math.round(v * 1024 ** 3);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(v);
  if (!m) throw new Error(`bad size ${v}`);
  const unit = m[2] || 'B';
  const mult = UNITS[unit];
  if (mult === undefined) throw new Error(`bad unit ${unit}`);
  return Math.round(Number(m[1]) * mult);
}
