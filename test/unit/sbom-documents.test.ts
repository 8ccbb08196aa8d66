/**
 * The SPDX 2.3 and CycloneDX 1.5 documents dib writes, validated against the published JSON
 * schemas (ajv) and for what the schemas leave out (licence expressions, purls, references).
 */
import test from 'ava';
import { cyclonedxDocument, documentUuid, packageUrl, parseOsRelease, spdxDocument, distroQualifier } from '#core/sbom/index.js';
import type { SbomInput } from '#core/sbom/index.js';
import { PackageURL, cycloneDxSchemaErrors, cycloneDxSemanticErrors, spdxSchemaErrors, spdxSemanticErrors } from '../helpers/sbom-schemas.js';

const os = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n');

function input(over: Partial<SbomInput> = {}): SbomInput {
  const distro = distroQualifier(os);
  return {
    name: 'debian-bookworm',
    created: new Date('2024-05-01T12:00:00.123Z'),
    os,
    outputs: [
      { name: 'debian-bookworm.qcow2', format: 'qcow2', sha256: 'a'.repeat(64), bytes: 1234 },
      { name: 'debian-bookworm.tar', format: 'tar', sha256: 'b'.repeat(64), bytes: 5678 },
    ],
    tools: [
      { name: 'dib', version: '0.1.0', package: '@dib/core', kind: 'dib' },
      { name: 'vm', version: '0.1.0', package: '@dib/element-vm', kind: 'element' },
      { name: 'my-dir-element', kind: 'element' },
    ],
    inventory: {
      packages: [
        { type: 'deb', name: 'bash', version: '5.2.15-2+b7', arch: 'amd64', source: { name: 'bash', version: '5.2.15-2' }, license: 'GPL-3.0-or-later AND LicenseRef-GPL-3-with-Bison-exception', purl: packageUrl({ type: 'deb', namespace: 'debian', name: 'bash', version: '5.2.15-2+b7', qualifiers: { arch: 'amd64', distro } }), supplier: 'Debian', maintainer: 'Matthias Klose <doko@debian.org>', summary: 'GNU Bourne Again SHell', homepage: 'http://tiswww.case.edu/php/chet/bash/bashtop.html' },
        { type: 'deb', name: 'libstdc++6', version: '12.2.0-14', arch: 'amd64', source: { name: 'gcc-12', version: '12.2.0-14' }, purl: packageUrl({ type: 'deb', namespace: 'debian', name: 'libstdc++6', version: '12.2.0-14', qualifiers: { arch: 'amd64', distro } }) },
        { type: 'deb', name: 'bsdutils', version: '1:2.38.1-5', arch: 'amd64', source: { name: 'util-linux', version: '2.38.1-5' }, license: '(BSD-3-Clause OR GPL-2.0-only) AND LicenseRef-public-domain', purl: packageUrl({ type: 'deb', namespace: 'debian', name: 'bsdutils', version: '1:2.38.1-5', qualifiers: { arch: 'amd64', distro } }) },
      ],
      licenseRefs: { 'LicenseRef-public-domain': { name: 'public-domain', text: 'The files are in the public domain.' } },
      sources: ['/var/lib/dpkg/status'],
    },
    ...over,
  };
}

test('the SPDX 2.3 document validates against the published schema and says what the issue asks', (t) => {
  const doc = spdxDocument(input());
  t.deepEqual(spdxSchemaErrors(doc), []);
  t.deepEqual(spdxSemanticErrors(doc), []);
  t.is(doc.spdxVersion, 'SPDX-2.3');
  const pkgs = doc.packages as Array<Record<string, unknown>>;
  // the image outputs are the described packages, with their sha256
  const described = (doc.relationships as Array<Record<string, string>>).filter((r) => r.relationshipType === 'DESCRIBES').map((r) => r.relatedSpdxElement);
  const images = pkgs.filter((p) => described.includes(p.SPDXID as string));
  t.deepEqual(images.map((p) => [p.name, (p.checksums as Array<{ checksumValue: string }>)[0]!.checksumValue]), [
    ['debian-bookworm.qcow2', 'a'.repeat(64)],
    ['debian-bookworm.tar', 'b'.repeat(64)],
  ]);
  const bash = pkgs.find((p) => p.name === 'bash')!;
  t.like(bash, { versionInfo: '5.2.15-2+b7', licenseDeclared: 'GPL-3.0-or-later AND LicenseRef-GPL-3-with-Bison-exception', sourceInfo: 'built from the deb source package bash 5.2.15-2', supplier: 'Organization: Debian' });
  t.deepEqual(bash.externalRefs, [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12' }]);
  t.is(pkgs.find((p) => p.name === 'libstdc++6')!.licenseDeclared, 'NOASSERTION');
  // dib and the element packages made it
  t.deepEqual((doc.creationInfo as { creators: string[] }).creators, ['Tool: @dib/core-0.1.0', 'Tool: @dib/element-vm-0.1.0', 'Tool: my-dir-element']);
  t.is((doc.creationInfo as { created: string }).created, '2024-05-01T12:00:00Z');
  // every LicenseRef is declared, the ones without a recorded text too
  t.deepEqual((doc.hasExtractedLicensingInfos as Array<{ licenseId: string }>).map((l) => l.licenseId), ['LicenseRef-GPL-3-with-Bison-exception', 'LicenseRef-public-domain']);
  // each image CONTAINS each package
  t.is((doc.relationships as unknown[]).length, 2 + 2 * 3);
});

test('the CycloneDX 1.5 BOM validates against the published schema and says what the issue asks', (t) => {
  const doc = cyclonedxDocument(input());
  t.deepEqual(cycloneDxSchemaErrors(doc), []);
  t.deepEqual(cycloneDxSemanticErrors(doc), []);
  const meta = doc.metadata as { component: { type: string; name: string; components: Array<{ name: string; hashes: Array<{ alg: string; content: string }> }> }; tools: { components: Array<Record<string, string>> } };
  t.is(meta.component.type, 'operating-system');
  t.deepEqual(meta.component.components.map((c) => [c.name, c.hashes[0]!.alg, c.hashes[0]!.content]), [
    ['debian-bookworm.qcow2', 'SHA-256', 'a'.repeat(64)],
    ['debian-bookworm.tar', 'SHA-256', 'b'.repeat(64)],
  ]);
  t.deepEqual(meta.tools.components.map((c) => [c.group, c.name, c.version, c.purl]), [
    ['@dib', 'core', '0.1.0', 'pkg:npm/%40dib/core@0.1.0'],
    ['@dib', 'element-vm', '0.1.0', 'pkg:npm/%40dib/element-vm@0.1.0'],
    [undefined, 'my-dir-element', undefined, undefined],
  ]);
  const comps = doc.components as Array<Record<string, unknown>>;
  t.is(comps.length, 3);
  const bsd = comps.find((c) => c.name === 'bsdutils')!;
  t.deepEqual(bsd.licenses, [{ expression: '(BSD-3-Clause OR GPL-2.0-only) AND LicenseRef-public-domain' }]);
  t.deepEqual(bsd.properties, [
    { name: 'dib:deb:architecture', value: 'amd64' },
    { name: 'dib:deb:source', value: 'util-linux 2.38.1-5' },
  ]);
  t.is(bsd.purl, 'pkg:deb/debian/bsdutils@1:2.38.1-5?arch=amd64&distro=debian-12');
  t.regex(String(doc.serialNumber), /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('the validators reject broken documents (the schema test can fail)', (t) => {
  const spdx = spdxDocument(input());
  t.not(spdxSchemaErrors({ ...spdx, spdxVersion: undefined }).length, 0);
  t.not(spdxSchemaErrors({ ...spdx, packages: [{ name: 'no-id' }] }).length, 0);
  const bad = structuredClone(spdx) as { packages: Array<Record<string, unknown>> };
  bad.packages[2]!.licenseDeclared = 'GPL-2+ or Artistic';
  t.regex(spdxSemanticErrors(bad as never).join('\n'), /does not parse/);
  const cdx = cyclonedxDocument(input());
  t.not(cycloneDxSchemaErrors({ ...cdx, specVersion: 1.5 }).length, 0);
  t.not(cycloneDxSchemaErrors({ ...cdx, components: [{ type: 'not-a-type', name: 'x' }] }).length, 0);
  t.regex(cycloneDxSemanticErrors({ ...cdx, dependencies: [{ ref: 'nowhere' }] }).join('\n'), /unknown nowhere/);
});

test('package URLs: the colon of an epoch stays, + is encoded, qualifiers sorted; packageurl-js reads them back', (t) => {
  const purl = packageUrl({ type: 'deb', namespace: 'debian', name: 'libstdc++6', version: '1:12.2.0-14+deb12u1', qualifiers: { distro: 'debian-12', arch: 'amd64', empty: '' } });
  t.is(purl, 'pkg:deb/debian/libstdc%2B%2B6@1:12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12');
  const back = PackageURL.fromString(purl);
  t.like(back, { type: 'deb', namespace: 'debian', name: 'libstdc++6', version: '1:12.2.0-14+deb12u1' });
  t.deepEqual({ ...back.qualifiers }, { arch: 'amd64', distro: 'debian-12' });
});

test('document ids follow the image: the same outputs give the same uuid, others another', (t) => {
  const a = documentUuid(input());
  t.is(documentUuid(input()), a);
  t.not(documentUuid(input({ outputs: [{ name: 'x.qcow2', format: 'qcow2', sha256: 'c'.repeat(64), bytes: 1 }] })), a);
  t.not(documentUuid(input({ name: 'other' })), a);
});

test('os-release: quotes, escapes and comments; the distro qualifier falls back to the codename', (t) => {
  const r = parseOsRelease('# comment\nNAME="Debian \\"GNU\\"/Linux"\nID=debian\nVERSION_CODENAME=trixie\nBAD LINE\nHOME_URL=\'https://x\'\n');
  t.deepEqual(r, { NAME: 'Debian "GNU"/Linux', ID: 'debian', VERSION_CODENAME: 'trixie', HOME_URL: 'https://x' });
  t.is(distroQualifier(r), 'debian-trixie');
  t.is(distroQualifier({ ID: 'ubuntu', VERSION_ID: '24.04' }), 'ubuntu-24.04');
  t.is(distroQualifier({}), undefined);
});
