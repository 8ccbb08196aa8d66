/**
 * finalise.d 50-bootloader: install GRUB from the target's own packages, write grub.cfg and
 * /etc/default/grub, make the EFI image (ESP `EFI/BOOT/BOOTX64.EFI`) and, for BIOS, the
 * core image that the disk assembly puts in place (handed to the core through its disk hooks'
 * `biosBootCode`).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DibError } from '@dib/core';
import type { PhaseContext } from '@dib/core';
import type { BiosBootFiles, DiskLayout } from '@dib/core';
import { archFamily, grubSettings, isTrue } from './cmdline.js';
import { BIOS_MODULES, EFI_MODULES, defaultGrubValue, earlyConfig, efiTarget, findKernels, grubCfg, updateDefaultGrub } from './grub-config.js';

/** Installs packages in the target; swappable for tests. */
export type PackageInstaller = (ctx: PhaseContext, packages: string[]) => Promise<void>;

/** What this layout needs: BIOS GRUB, EFI GRUB, or neither. */
export function bootTargets(layout: DiskLayout, arch: string | undefined): { bios: boolean; efi: boolean } {
  const x86 = archFamily(arch) === 'x86';
  const bios = x86 && (layout.table === 'mbr' || (layout.table === 'gpt' && layout.partitions.some((p) => p.biosBoot)));
  const esp = layout.filesystems.find((f) => f.mountPoint === '/boot/efi' && f.type === 'vfat');
  const efi = efiTarget(arch) !== undefined && layout.table !== 'none' && esp !== undefined;
  return { bios, efi };
}

/** Packages (Debian names) that provide the GRUB files for these targets. */
export function grubPackages(targets: { bios: boolean; efi: boolean }, arch: string | undefined): string[] {
  const pkgs: string[] = [];
  if (targets.bios) pkgs.push('grub-pc-bin');
  if (targets.efi) pkgs.push(efiTarget(arch)!.package);
  if (pkgs.length) pkgs.push('grub2-common');
  return pkgs;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function firstExisting(root: string, candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) if (await exists(join(root, c))) return c;
  return undefined;
}

async function osTitle(root: string): Promise<string> {
  const text = await readFile(join(root, 'etc/os-release'), 'utf8').catch(() => '');
  const name = defaultGrubValue(text, 'NAME');
  return name && name.trim() !== '' ? name : 'Linux';
}

export interface InstallOptions {
  install: PackageInstaller;
  /** receives the BIOS boot code made for the disk assembly (in the element's work dir) */
  onBiosBoot?: (files: BiosBootFiles) => void;
}

export async function installBootloader(ctx: PhaseContext, opts: InstallOptions): Promise<void> {
  const { env, log } = ctx;
  const root = ctx.targetRoot;
  if (env.DIB_EXTLINUX && env.DIB_EXTLINUX !== '0') {
    throw new DibError('E_BOOT', 'DIB_EXTLINUX is set, but extlinux is not supported', { hint: 'unset DIB_EXTLINUX: dib installs GRUB' });
  }
  const layout = await ctx.build.diskPlan();
  const arch = env.ARCH ?? ctx.config.arch;
  const targets = bootTargets(layout, arch);
  if (layout.table === 'none' || (!targets.bios && !targets.efi)) {
    log.warn(`the ${layout.table === 'none' ? 'unpartitioned' : layout.table} layout on ${arch} has nothing dib can boot with GRUB: not installing a boot loader`);
    return;
  }
  if (!isTrue(env.DIB_SKIP_GRUB_PACKAGE_INSTALL, false)) {
    await opts.install(ctx, grubPackages(targets, arch));
  }
  const mkimage = await firstExisting(root, ['usr/bin/grub-mkimage', 'usr/bin/grub2-mkimage']);
  if (!mkimage) {
    throw new DibError('E_BOOT', 'grub-mkimage is not installed in the image', { hint: 'install the grub-pc-bin / grub-efi-*-bin packages (unset DIB_SKIP_GRUB_PACKAGE_INSTALL)' });
  }
  const libDir = (await exists(join(root, 'usr/lib/grub'))) ? 'usr/lib/grub' : 'usr/lib/grub2';

  // kernel and filesystems
  const bootFs = layout.filesystems.find((f) => f.mountPoint === '/boot') ?? layout.filesystems.find((f) => f.mountPoint === '/')!;
  const bootPath = bootFs.mountPoint === '/boot' ? '' : '/boot';
  const kernels = findKernels(await readdir(join(root, 'boot')).catch(() => [] as string[]));
  if (kernels.length === 0) {
    throw new DibError('E_BOOT', 'no kernel (vmlinuz-*) in the image /boot', { hint: 'install a kernel package (e.g. linux-image-amd64) in the image' });
  }
  const cfgDir = (await exists(join(root, 'boot/grub2'))) ? 'boot/grub2' : 'boot/grub';

  // /etc/default/grub and grub.cfg
  const settings = grubSettings(env, arch, layout.bootLabel || undefined);
  const defaultsFile = join(root, 'etc/default/grub');
  const existing = await readFile(defaultsFile, 'utf8').catch(() => readFile(join(root, 'usr/share/grub/default/grub'), 'utf8').catch(() => ''));
  const defaults = updateDefaultGrub(existing, settings, layout.rootLabel);
  await mkdir(join(root, 'etc/default'), { recursive: true });
  await writeFile(defaultsFile, defaults);
  const cfg = grubCfg({
    settings,
    bootFsUuid: bootFs.uuid,
    bootPath,
    rootDevice: `UUID=${layout.rootUuid}`,
    cmdlineLinux: defaultGrubValue(defaults, 'GRUB_CMDLINE_LINUX') ?? '',
    kernels,
    title: await osTitle(root),
  });
  await mkdir(join(root, cfgDir), { recursive: true });
  await writeFile(join(root, cfgDir, 'grub.cfg'), cfg);
  log.info(`wrote /${cfgDir}/grub.cfg for Linux ${kernels[0]!.version} (root UUID=${layout.rootUuid})`);

  const prefix = `${bootPath}/${cfgDir.slice('boot/'.length)}`;
  const work = `/tmp/dib-bootloader-${randomBytes(4).toString('hex')}`;
  await mkdir(join(root, work), { recursive: true });
  try {
    await writeFile(join(root, work, 'early.cfg'), earlyConfig(bootFs.uuid, prefix));
    const platforms: string[] = [];
    if (targets.efi) platforms.push(efiTarget(arch)!.platform);
    if (targets.bios) platforms.push('i386-pc');
    // modules next to grub.cfg, as grub-install leaves them (insmod from grub.cfg)
    for (const platform of platforms) {
      const src = join(root, libDir, platform);
      if (!(await exists(src))) throw new DibError('E_BOOT', `GRUB ${platform} files are missing in the image (/${libDir}/${platform})`, { hint: `install the GRUB package for ${platform}` });
      const dst = join(root, cfgDir, platform);
      await rm(dst, { recursive: true, force: true });
      await cp(src, dst, { recursive: true, filter: (s) => s === src || /\.(mod|lst)$/.test(s) });
    }
    if (targets.efi) {
      const t = efiTarget(arch)!;
      const efiFile = join(root, 'boot/efi/EFI/BOOT', t.file);
      if (await exists(efiFile)) log.info(`/boot/efi/EFI/BOOT/${t.file} exists already (signed shim/grub?): not replacing it`);
      else {
        await mkdir(join(root, 'boot/efi/EFI/BOOT'), { recursive: true });
        await ctx.target.run(mkimage.replace(/^usr\/bin\//, ''), ['-O', t.platform, '-o', `/boot/efi/EFI/BOOT/${t.file}`, '-c', `${work}/early.cfg`, '-p', prefix, ...EFI_MODULES]);
        log.info(`made /boot/efi/EFI/BOOT/${t.file} (${t.platform})`);
      }
    }
    if (targets.bios) {
      await ctx.target.run(mkimage.replace(/^usr\/bin\//, ''), ['-O', 'i386-pc', '-o', `${work}/core.img`, '-c', `${work}/early.cfg`, '-p', prefix, ...BIOS_MODULES]);
      const outDir = join(await ctx.build.workDirFor(ctx.element), 'grub-i386-pc');
      await mkdir(outDir, { recursive: true });
      const files: BiosBootFiles = { bootImg: join(outDir, 'boot.img'), coreImg: join(outDir, 'core.img') };
      await copyFile(join(root, libDir, 'i386-pc/boot.img'), files.bootImg);
      await copyFile(join(root, work, 'core.img'), files.coreImg);
      opts.onBiosBoot?.(files);
      const size = (await stat(files.coreImg)).size;
      log.info(`made GRUB i386-pc core image (${size} bytes) for BIOS boot`);
    }
  } finally {
    await rm(join(root, work), { recursive: true, force: true });
  }
}
