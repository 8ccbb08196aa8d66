/**
 * QEMU command lines for `dib boot` (pure, unit-tested).
 */

export type Firmware = 'uefi' | 'bios';
export type Accel = 'kvm' | 'tcg';

/** OVMF (package ovmf): 4 MiB flash images, without Secure Boot. */
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface QemuArgsOptions {
  image: string;
  /** qemu block format of the image (raw, qcow2, vpc, …) */
  format: string;
  firmware: Firmware;
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  /** UEFI: firmware code (read-only) and a writable copy of the variable store */
  ovmfCode?: string;
  ovmfVars?: string;
  /** add a user-mode (slirp) NIC; default none */
  network?: boolean;
  /** extra arguments appended as they are */
  extraArgs?: readonly string[];
}

function driveFile(path: string): string {
  // in -drive option strings a comma is written as two
  return path.replace(/,/g, ',,');
}

/**
 * Arguments for qemu-system-x86_64: q35 machine, the image as a virtio disk in snapshot mode
 * (writes go to a temporary overlay; the image is never modified), serial console on stdio,
 * no display and no monitor, no reboot (a guest reboot or a triple fault ends the run).
 */
export function buildQemuArgs(o: QemuArgsOptions): string[] {
  const args: string[] = [
    '-name',
    'dib-boot',
    '-machine',
    'q35',
    '-accel',
    o.accel,
    '-cpu',
    o.accel === 'kvm' ? 'host' : 'max',
    '-smp',
    String(o.cpus),
    '-m',
    `${o.memoryMiB}M`,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-no-reboot',
  ];
  if (o.firmware === 'uefi') {
    if (!o.ovmfCode || !o.ovmfVars) throw new Error('buildQemuArgs: UEFI needs ovmfCode and ovmfVars');
    args.push(
      '-drive',
      `if=pflash,format=raw,unit=0,readonly=on,file=${driveFile(o.ovmfCode)}`,
      '-drive',
      `if=pflash,format=raw,unit=1,file=${driveFile(o.ovmfVars)}`,
    );
  }
  // BIOS: QEMU's default firmware is SeaBIOS.
  args.push('-drive', `file=${driveFile(o.image)},format=${o.format},if=virtio,snapshot=on,cache=unsafe`);
  if (o.network) args.push('-nic', 'user,restrict=on,model=virtio-net-pci');
  else args.push('-nic', 'none');
  args.push('-device', 'virtio-rng-pci');
  if (o.extraArgs) args.push(...o.extraArgs);
  return args;
}
