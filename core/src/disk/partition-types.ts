/**
 * Partition type codes: MBR type bytes and GPT type GUIDs from sgdisk's 4-hex-digit codes
 * (as DIB writes them: `EF00`, `EF02`, `8300`, `8200`, …).
 */

/** sgdisk code (upper case) → GPT partition type GUID. */
export const GPT_TYPE_GUIDS: Readonly<Record<string, string>> = {
  '0700': 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', // Microsoft basic data
  '0C01': 'E3C9E316-0B5C-4DB8-817D-F92DF00215AE', // Microsoft reserved
  '4100': '9E1A2D38-C612-4316-AA26-8B49521E5A8B', // PowerPC PReP boot
  '8200': '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', // Linux swap
  '8300': '0FC63DAF-8483-4772-8E79-3D69D8477DE4', // Linux filesystem
  '8302': '933AC7E1-2EB4-4F13-B844-0E14E2AEF915', // Linux /home
  '8303': '44479540-F297-41B2-9AF7-D131D5F0458A', // Linux x86 root
  '8304': '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', // Linux x86-64 root
  '8305': 'B921B045-1DF0-41C3-AF44-4C6F280D3FAE', // Linux ARM64 root
  '8306': '3B8F8425-20E0-4F3B-907F-1A25A76F98E8', // Linux /srv
  '8310': '4D21B016-B534-45C2-A9FB-5C16E091FD2D', // Linux /var
  '8311': '7EC6F557-3BC5-4ACA-B293-16EF5DF639D1', // Linux /var/tmp
  '8E00': 'E6D6D379-F507-44C2-A23C-238F2A3DF928', // Linux LVM
  EA00: 'BC13C2FF-59E6-4262-A352-B275FD6F7172', // XBOOTLDR
  EF00: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', // EFI system partition
  EF01: '024DEE41-33E7-11D3-9D69-0008C781F39F', // MBR partition scheme
  EF02: '21686148-6449-6E6F-744E-656564454649', // BIOS boot partition
  FD00: 'A19D880F-05FC-4D3B-A006-743F0F84911E', // Linux RAID
};

export const GPT_ESP_GUID = GPT_TYPE_GUIDS.EF00!;
export const GPT_BIOS_BOOT_GUID = GPT_TYPE_GUIDS.EF02!;

const GUID_RE = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

/** A GPT type: an sgdisk code (`EF00`, `0xEF00`) or a GUID → the GUID (upper case). */
export function gptTypeGuid(type: unknown): { guid: string; code: string } | { error: string } {
  if (typeof type === 'number') type = type.toString(16);
  if (typeof type !== 'string') return { error: `GPT partition type must be an sgdisk code such as 'EF00' or a GUID` };
  const t = type.trim();
  if (GUID_RE.test(t)) {
    const guid = t.toUpperCase();
    const code = Object.entries(GPT_TYPE_GUIDS).find(([, g]) => g === guid)?.[0] ?? guid;
    return { guid, code };
  }
  const code = t.replace(/^0x/i, '').toUpperCase().padStart(4, '0');
  const guid = GPT_TYPE_GUIDS[code];
  if (!guid) return { error: `unknown GPT partition type '${type}' (known sgdisk codes: ${Object.keys(GPT_TYPE_GUIDS).join(', ')}; or give the type GUID)` };
  return { guid, code };
}

/** An MBR type: a hex string (`'0x83'`, `'83'`, `'EF'`) or a number 0–255 → two lower-case hex digits. */
export function mbrTypeByte(type: unknown): { hex: string } | { error: string } {
  let n: number;
  if (typeof type === 'number') n = type;
  else if (typeof type === 'string' && /^\s*(0x)?[0-9a-f]{1,2}\s*$/i.test(type)) n = parseInt(type.trim().replace(/^0x/i, ''), 16);
  else return { error: `MBR partition type must be a hex byte such as '0x83' or 'ef', not ${JSON.stringify(type)}` };
  if (!Number.isInteger(n) || n < 1 || n > 255 || n === 0x05 || n === 0x0f || n === 0x85) {
    return { error: `MBR partition type ${JSON.stringify(type)} is not usable for a partition (1–255, not an extended type)` };
  }
  return { hex: n.toString(16).padStart(2, '0') };
}
