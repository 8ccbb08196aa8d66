import test from 'ava';
import { buildQemuArgs, OVMF_CODE, OVMF_VARS } from '#core/boot/qemu-args.js';
import { PROBE_EXIT, probeArgs, probeBootSector } from '#core/boot/accel.js';
import { parseImageFormat } from '#core/boot/image-info.js';
import { requiredBootFiles, requiredBootTools } from '#core/boot/index.js';

function after(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args[i + 1]!);
  });
  return out;
}

const common = { image: '/imgs/disk.qcow2', format: 'qcow2', memoryMiB: 2048, cpus: 2 };

test('UEFI under TCG: OVMF code read-only, a private VARS copy, cpu max', (t) => {
  const a = buildQemuArgs({ ...common, firmware: 'uefi', accel: 'tcg', ovmfCode: OVMF_CODE, ovmfVars: '/tmp/x/OVMF_VARS.fd' });
  t.deepEqual(after(a, '-accel'), ['tcg']);
  t.deepEqual(after(a, '-cpu'), ['max']);
  t.deepEqual(after(a, '-machine'), ['q35']);
  t.deepEqual(after(a, '-m'), ['2048M']);
  t.deepEqual(after(a, '-smp'), ['2']);
  t.deepEqual(after(a, '-drive'), [
    `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
    'if=pflash,format=raw,unit=1,file=/tmp/x/OVMF_VARS.fd',
    'file=/imgs/disk.qcow2,format=qcow2,if=virtio,snapshot=on,cache=unsafe',
  ]);
  t.deepEqual(after(a, '-serial'), ['stdio']);
  t.deepEqual(after(a, '-display'), ['none']);
  t.deepEqual(after(a, '-monitor'), ['none']);
  t.true(a.includes('-no-reboot'));
  t.true(a.includes('-nodefaults'));
  t.deepEqual(after(a, '-nic'), ['none']);
  t.is(OVMF_VARS, '/usr/share/OVMF/OVMF_VARS_4M.fd');
});

test('BIOS under KVM: no pflash (SeaBIOS default), cpu host', (t) => {
  const a = buildQemuArgs({ ...common, format: 'raw', firmware: 'bios', accel: 'kvm' });
  t.deepEqual(after(a, '-accel'), ['kvm']);
  t.deepEqual(after(a, '-cpu'), ['host']);
  t.false(a.some((x) => x.includes('pflash')));
  t.deepEqual(after(a, '-drive'), ['file=/imgs/disk.qcow2,format=raw,if=virtio,snapshot=on,cache=unsafe']);
});

test('the disk is always in snapshot mode; commas in paths are escaped; network and extra args', (t) => {
  const a = buildQemuArgs({ ...common, image: '/a,b/disk.raw', format: 'raw', firmware: 'bios', accel: 'tcg', network: true, extraArgs: ['-s'] });
  t.deepEqual(after(a, '-drive'), ['file=/a,,b/disk.raw,format=raw,if=virtio,snapshot=on,cache=unsafe']);
  t.deepEqual(after(a, '-nic'), ['user,restrict=on,model=virtio-net-pci']);
  t.is(a[a.length - 1], '-s');
});

test('UEFI without OVMF paths is a programming error', (t) => {
  t.throws(() => buildQemuArgs({ ...common, firmware: 'uefi', accel: 'tcg' }));
});

test('the KVM probe boots a one-sector guest that exits through isa-debug-exit', (t) => {
  const s = probeBootSector();
  t.is(s.length, 512);
  t.is(s[510], 0x55);
  t.is(s[511], 0xaa);
  t.deepEqual([...s.subarray(0, 3)], [0x9b, 0xdb, 0xe3]); // fwait; fninit
  t.is(s[4], 0x2a);
  t.is(PROBE_EXIT, (0x2a << 1) | 1);
  const a = probeArgs('/tmp/p/probe.img');
  t.deepEqual(after(a, '-accel'), ['kvm']);
  t.deepEqual(after(a, '-device'), ['isa-debug-exit,iobase=0xf4,iosize=0x04']);
  t.deepEqual(after(a, '-drive'), ['file=/tmp/p/probe.img,format=raw,if=ide']);
});

test('image format comes from qemu-img info JSON', (t) => {
  t.is(parseImageFormat('{"virtual-size": 1048576, "filename": "x", "format": "qcow2"}'), 'qcow2');
  t.is(parseImageFormat('{"format": "vpc"}'), 'vpc');
  t.throws(() => parseImageFormat('nope'), { message: /not JSON/ });
  t.throws(() => parseImageFormat('{"format": "raw,file=/etc/passwd"}'), { message: /did not report/ });
});

test('dib doctor: boot needs qemu-system-x86, qemu-utils and (UEFI) ovmf', (t) => {
  t.deepEqual(requiredBootTools().map((x) => [x.command, x.package]), [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['qemu-img', 'qemu-utils'],
  ]);
  t.deepEqual(requiredBootFiles().map((x) => [x.path, x.package]), [
    ['/usr/share/OVMF/OVMF_CODE_4M.fd', 'ovmf'],
    ['/usr/share/OVMF/OVMF_VARS_4M.fd', 'ovmf'],
  ]);
});
