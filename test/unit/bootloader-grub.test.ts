import test from 'ava';
import { kernelCmdline, grubSettings, grubSerialCommand, grubCfg, earlyConfig, updateDefaultGrub, findKernels, compareVersions, defaultGrubValue, bootTargets, grubPackages } from '@dib/element-bootloader';
import bootloader from '@dib/element-bootloader';
import { planLayout } from '#core/disk/layout.js';
import { EFI_LAYOUT } from '@dib/element-block-device-efi';
import { GPT_LAYOUT } from '@dib/element-block-device-gpt';
import { MBR_LAYOUT } from '@dib/element-block-device-mbr';

test('amd64 default command line is DIB\'s', (t) => {
  t.is(kernelCmdline({}, 'amd64'), 'console=tty0 console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text');
  const env = typeof bootloader.environment === 'function' ? bootloader.environment({}) : {};
  t.is(kernelCmdline(env, 'amd64'), 'console=tty0 console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text');
});

test('command line honours the DIB_* variables', (t) => {
  t.is(kernelCmdline({ DIB_BOOTLOADER_VIRTUAL_TERMINAL: '' }, 'amd64'), 'console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({ DIB_BOOTLOADER_VIRTUAL_TERMINAL: 'tty1' }, 'amd64'), 'console=tty1 console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({ DIB_BOOTLOADER_SERIAL_CONSOLE: 'ttyS1,9600' }, 'amd64'), 'console=tty0 console=ttyS1,9600 no_timer_check nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({ DIB_BOOTLOADER_USE_SERIAL_CONSOLE: 'False' }, 'amd64'), 'console=tty0 no_timer_check nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({ DIB_NO_TIMER_CHECK: 'False' }, 'amd64'), 'console=tty0 console=ttyS0,115200 nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({ DIB_BOOTLOADER_DEFAULT_CMDLINE: 'quiet splash' }, 'amd64'), 'console=tty0 console=ttyS0,115200 no_timer_check quiet splash');
  t.is(kernelCmdline({}, 'arm64'), 'console=tty0 console=ttyAMA0,115200 no_timer_check nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({}, 'ppc64el'), 'console=tty0 console=hvc0 no_timer_check nofb nomodeset gfxpayload=text');
  t.is(kernelCmdline({}, 'amd64', 'BOOT'), 'console=tty0 console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text boot=LABEL=BOOT');
});

test('GRUB settings: timeout, style, terminal, serial command', (t) => {
  const s = grubSettings({ DIB_GRUB_TIMEOUT: '0', DIB_GRUB_TIMEOUT_STYLE: 'hidden' }, 'amd64');
  t.is(s.timeout, 0);
  t.is(s.timeoutStyle, 'hidden');
  t.is(s.terminal, 'serial console');
  t.is(s.serialCommand, 'serial --speed=115200 --unit=0 --word=8 --parity=no --stop=1');
  const d = grubSettings({ DIB_BOOTLOADER_USE_SERIAL_CONSOLE: 'False' }, 'amd64');
  t.is(d.timeout, 5);
  t.is(d.timeoutStyle, 'menu');
  t.is(d.terminal, 'console');
  t.is(d.serialCommand, undefined);
  t.is(grubSerialCommand('ttyS1,9600'), 'serial --speed=9600 --unit=1 --word=8 --parity=no --stop=1');
});

test('kernels: newest first, with their initrd', (t) => {
  const k = findKernels(['config-6.1.0-9-amd64', 'vmlinuz-6.1.0-9-amd64', 'initrd.img-6.1.0-9-amd64', 'vmlinuz-6.1.0-10-amd64', 'initrd.img-6.1.0-10-amd64', 'vmlinuz-5.10.0-1-amd64', 'System.map-6.1.0-9-amd64']);
  t.deepEqual(k.map((x) => [x.version, x.initrd]), [
    ['6.1.0-10-amd64', 'initrd.img-6.1.0-10-amd64'],
    ['6.1.0-9-amd64', 'initrd.img-6.1.0-9-amd64'],
    ['5.10.0-1-amd64', undefined],
  ]);
  t.deepEqual(findKernels(['vmlinuz-5.14.0-1.el9.x86_64', 'initramfs-5.14.0-1.el9.x86_64.img']).map((x) => x.initrd), ['initramfs-5.14.0-1.el9.x86_64.img']);
  t.true(compareVersions('6.1.0-10', '6.1.0-9') > 0);
  t.is(compareVersions('1.2', '1.2'), 0);
});

test('grub.cfg: search by UUID, linux line with root=UUID and the command line, serial terminal', (t) => {
  const cfg = grubCfg({
    settings: grubSettings({}, 'amd64'),
    bootFsUuid: 'aaaa-uuid',
    bootPath: '/boot',
    rootDevice: 'UUID=aaaa-uuid',
    cmdlineLinux: '',
    kernels: findKernels(['vmlinuz-6.1.0-10-amd64', 'initrd.img-6.1.0-10-amd64']),
    title: 'Debian GNU/Linux',
  });
  t.regex(cfg, /^set timeout=5$/m);
  t.regex(cfg, /^set timeout_style=menu$/m);
  t.regex(cfg, /^serial --speed=115200 --unit=0 --word=8 --parity=no --stop=1$/m);
  t.regex(cfg, /^terminal_output serial console$/m);
  t.regex(cfg, /^search --no-floppy --fs-uuid --set=root aaaa-uuid$/m);
  t.regex(cfg, /^menuentry 'Debian GNU\/Linux' --id 'dib-6.1.0-10-amd64' \{$/m);
  t.regex(cfg, /^\tlinux \/boot\/vmlinuz-6.1.0-10-amd64 root=UUID=aaaa-uuid ro console=tty0 console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text$/m);
  t.regex(cfg, /^\tinitrd \/boot\/initrd.img-6.1.0-10-amd64$/m);
  // separate /boot: paths relative to that filesystem
  const sep = grubCfg({ settings: grubSettings({}, 'amd64'), bootFsUuid: 'b', bootPath: '', rootDevice: 'UUID=r', cmdlineLinux: 'quiet', kernels: findKernels(['vmlinuz-1']), title: "It's" });
  t.regex(sep, /\tlinux \/vmlinuz-1 root=UUID=r ro quiet console=/);
  t.regex(sep, /menuentry 'It'\\''s'/);
  t.is(earlyConfig('u-1', '/boot/grub'), 'search --no-floppy --fs-uuid --set=root u-1\nset prefix=($root)/boot/grub\n');
});

test('/etc/default/grub is updated as DIB does', (t) => {
  const before = ['GRUB_DEFAULT=0', 'GRUB_TIMEOUT=5', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX="console=ttyS1 boot=x net.ifnames=0"', ''].join('\n');
  const after = updateDefaultGrub(before, grubSettings({ DIB_GRUB_TIMEOUT: '3' }, 'amd64'), 'cloudimg-rootfs');
  t.is(
    after,
    [
      'GRUB_DEFAULT=0',
      'GRUB_CMDLINE_LINUX="net.ifnames=0"',
      '',
      '# Set by dib (bootloader element)',
      'GRUB_DEVICE=LABEL=cloudimg-rootfs',
      'GRUB_DISABLE_LINUX_UUID=true',
      'GRUB_TIMEOUT=3',
      'GRUB_TIMEOUT_STYLE=menu',
      'GRUB_TERMINAL="serial console"',
      'GRUB_SERIAL_COMMAND="serial --speed=115200 --unit=0 --word=8 --parity=no --stop=1"',
      'GRUB_GFXPAYLOAD_LINUX=auto',
      'GRUB_CMDLINE_LINUX_DEFAULT="console=tty0 console=ttyS0,115200 no_timer_check nofb nomodeset gfxpayload=text"',
      '',
    ].join('\n'),
  );
  // idempotent
  t.is(updateDefaultGrub(after, grubSettings({ DIB_GRUB_TIMEOUT: '3' }, 'amd64'), 'cloudimg-rootfs'), after);
  t.is(defaultGrubValue(after, 'GRUB_CMDLINE_LINUX'), 'net.ifnames=0');
  t.is(defaultGrubValue(after, 'GRUB_TIMEOUT'), '3');
});

test('boot targets and packages per layout', (t) => {
  const P = { fsType: 'ext4', arch: 'amd64' };
  t.deepEqual(bootTargets(planLayout(EFI_LAYOUT, 'x', P), 'amd64'), { bios: true, efi: true });
  t.deepEqual(bootTargets(planLayout(GPT_LAYOUT, 'x', P), 'amd64'), { bios: true, efi: false });
  t.deepEqual(bootTargets(planLayout(MBR_LAYOUT, 'x', P), 'amd64'), { bios: true, efi: false });
  t.deepEqual(bootTargets(planLayout(EFI_LAYOUT, 'x', P), 'arm64'), { bios: false, efi: true });
  t.deepEqual(bootTargets(planLayout(undefined, 'x', P), 'amd64'), { bios: false, efi: false });
  t.deepEqual(grubPackages({ bios: true, efi: true }, 'amd64'), ['grub-pc-bin', 'grub-efi-amd64-bin', 'grub2-common']);
  t.deepEqual(grubPackages({ bios: false, efi: true }, 'arm64'), ['grub-efi-arm64-bin', 'grub2-common']);
});

test('bootloader environment defaults (the virtual terminal only when unset)', (t) => {
  const env = bootloader.environment as (e: Record<string, string>) => Record<string, string>;
  t.like(env({}), { DIB_BOOTLOADER_DEFAULT_CMDLINE: 'nofb nomodeset gfxpayload=text', DIB_BOOTLOADER_VIRTUAL_TERMINAL: 'tty0', DIB_NO_TIMER_CHECK: 'True', DIB_BOOTLOADER_USE_SERIAL_CONSOLE: 'True', DIB_GRUB_TIMEOUT: '5', DIB_GRUB_TIMEOUT_STYLE: 'menu' });
  t.false('DIB_BOOTLOADER_VIRTUAL_TERMINAL' in env({ DIB_BOOTLOADER_VIRTUAL_TERMINAL: '' }));
  t.deepEqual(bootloader.deps, []); // upstream's bootloader has no element-deps
});
