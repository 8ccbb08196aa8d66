import test from 'ava';
import { defineOsElement, isOsElement, osElementOf, osFamilyOf, releaseTargetOf, OS_FAMILIES, type ResolvedElement } from '@dib/core';
import { packageElementFor } from '@dib/element-package-installs';
import { familyOf, FAMILIES } from '@dib/element-pkg-map';
import busyboxRoot from '@dib/element-busybox-root';
import debianMinimal from '@dib/element-debian-minimal';
import ubuntuMinimal from '@dib/element-ubuntu-minimal';

const resolved = (element: ReturnType<typeof defineOsElement>): ResolvedElement => ({ name: element.name, element, dir: '/e', kind: 'package' });

test('one families table: pkg-map families and the package element named in errors come from it', (t) => {
  t.is(osFamilyOf('ubuntu')?.name, 'debian');
  t.is(osFamilyOf('rocky')?.packageManager, 'dnf');
  t.is(osFamilyOf('busybox'), undefined);
  t.deepEqual(FAMILIES, Object.fromEntries(OS_FAMILIES.map((f) => [f.name, f.distros])));
  t.is(familyOf('debian'), 'debian');
  t.is(packageElementFor('ubuntu'), 'dpkg');
  t.is(packageElementFor(undefined), 'the operating system element');
});

test('defineOsElement: provides operating-system, keeps its own provides, carries its definition', (t) => {
  const os = defineOsElement({ name: 'tiny-os', provides: ['tiny'], os: { distro: 'tiny', family: 'tiny', packageManager: 'none', release: () => '1' } });
  t.deepEqual(os.provides, ['tiny', 'operating-system']);
  t.true(isOsElement(os));
  t.false(isOsElement({ ...os, os: undefined } as never));
  t.is(osElementOf([resolved(os)])?.name, 'tiny-os');
  t.throws(() => Object.assign(os.os, { distro: 'x' }), { instanceOf: TypeError }, 'the definition is frozen');
});

test('the built-in OS elements say what they build and where their releases are published', (t) => {
  for (const el of [debianMinimal, ubuntuMinimal, busyboxRoot]) t.true(isOsElement(el), el.name);
  t.like(releaseTargetOf([resolved(debianMinimal)], { DIB_RELEASE: 'trixie', DIB_DEBIAN_DISTRIBUTION_MIRROR: 'http://mirror.example/debian/' }), {
    distro: 'debian',
    release: 'trixie',
    url: 'http://mirror.example/debian/dists/trixie/Release',
  });
  t.like(releaseTargetOf([resolved(ubuntuMinimal)], { DIB_RELEASE: 'noble', DIB_DISTRIBUTION_MIRROR: 'http://ubuntu.example/ubuntu' }), { url: 'http://ubuntu.example/ubuntu/dists/noble/Release' });
  t.is(releaseTargetOf([resolved(busyboxRoot)], { DIB_RELEASE: 'static' }), undefined, 'made from host files: nothing to check');
  const read = debianMinimal.os.progress!();
  t.is(read('1 upgraded, 1 newly installed, 0 to remove'), undefined);
  t.deepEqual(read('Get:1 http://deb.debian.org/debian bookworm/main amd64 x 1 [1 kB]'), { label: 'apt: downloading', done: 1, total: 2 });
});
