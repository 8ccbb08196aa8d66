import test from 'ava';
import { expandElements, withImplicitElements, envOrder } from '#core/elements/expand.js';
import { memoryResolver } from '../helpers/elements.js';

const set = memoryResolver([
  { name: 'base', deps: ['pkg-map', 'install-types'] },
  { name: 'pkg-map' },
  { name: 'install-types' },
  { name: 'debian-minimal', deps: ['debootstrap', 'pkg-map'], provides: ['operating-system'] },
  { name: 'ubuntu-minimal', deps: ['debootstrap'], provides: ['operating-system'] },
  { name: 'debootstrap', deps: ['dpkg', 'pkg-map'] },
  { name: 'dpkg', deps: ['manifests'] },
  { name: 'manifests' },
  { name: 'vm', deps: ['block-device', 'bootloader'] },
  { name: 'bootloader' },
  { name: 'block-device-mbr', provides: ['block-device'] },
  { name: 'block-device-efi', provides: ['block-device'] },
  { name: 'cycle-a', deps: ['cycle-b'] },
  { name: 'cycle-b', deps: ['cycle-a'] },
]);

test('expansion follows deps and provides; the result is sorted and order independent', async (t) => {
  const a = await expandElements(withImplicitElements(['vm', 'debian-minimal'], { arch: 'amd64', skipBase: false }), { resolve: set });
  const b = await expandElements(withImplicitElements(['debian-minimal', 'vm'], { arch: 'amd64', skipBase: false }), { resolve: set });
  const names = a.elements.map((e) => e.name);
  t.deepEqual(names, ['base', 'block-device-mbr', 'bootloader', 'debian-minimal', 'debootstrap', 'dpkg', 'install-types', 'manifests', 'pkg-map', 'vm']);
  t.deepEqual(b.elements.map((e) => e.name), names);
  t.is(a.provided.get('operating-system'), 'debian-minimal');
  t.is(a.provided.get('block-device'), 'block-device-mbr');
});

test('vm gets block-device-efi on arm64 and nothing when a block-device element is named', (t) => {
  t.deepEqual(withImplicitElements(['vm', 'x'], { arch: 'arm64', skipBase: true }), ['vm', 'x', 'block-device-efi']);
  t.deepEqual(withImplicitElements(['vm', 'block-device-efi'], { arch: 'amd64', skipBase: true }), ['vm', 'block-device-efi']);
  t.deepEqual(withImplicitElements(['x'], { arch: 'amd64', skipBase: false }), ['base', 'x']);
});

test('missing operating system', async (t) => {
  const e = await t.throwsAsync(expandElements(['base'], { resolve: set }));
  t.is((e as unknown as { code: string }).code, 'E_NO_OS');
  t.is(e!.message, 'Please include an operating system element');
});

test('two providers of one name: already provided', async (t) => {
  const e = await t.throwsAsync(expandElements(['debian-minimal', 'ubuntu-minimal'], { resolve: set }));
  t.is((e as unknown as { code: string }).code, 'E_ALREADY_PROVIDED');
  t.regex(e!.message, /^operating-system: already provided by \[debian-minimal\]/);
});

test('requesting a name that another requested element provides', async (t) => {
  const e = await t.throwsAsync(expandElements(['block-device-mbr', 'block-device', 'debian-minimal'], { resolve: memoryResolver([
    { name: 'block-device-mbr', provides: ['block-device'] },
    { name: 'block-device' },
    { name: 'debian-minimal', provides: ['operating-system'] },
  ]) }));
  t.is((e as unknown as { code: string }).code, 'E_ALREADY_PROVIDED');
  t.regex(e!.message, /block-device : already provided by \[block-device-mbr\]/);
});

test('missing element', async (t) => {
  const e = await t.throwsAsync(expandElements(['debian-minimal', 'nope'], { resolve: set }));
  t.is((e as unknown as { code: string }).code, 'E_ELEMENT_NOT_FOUND');
});

test('cycles are harmless', async (t) => {
  const r = await expandElements(['cycle-a', 'debian-minimal'], { resolve: set });
  t.true(r.elements.some((e) => e.name === 'cycle-b'));
  t.is(r.envOrder.length, r.elements.length);
});

test('environment order puts an element before its dependencies', (t) => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', []],
    ['d', ['c']],
  ]);
  t.deepEqual(envOrder(['a', 'b', 'c', 'd'], graph), ['a', 'b', 'd', 'c']);
});
