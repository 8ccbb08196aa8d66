/**
 * Validate SBOM documents against their published JSON schemas with ajv: SPDX 2.3 (vendored,
 * test/fixtures/schemas/README.md says from where) and CycloneDX 1.5 (from the npm package
 * @cyclonedx/cyclonedx-library, which ships the official schemas). Beyond what the schemas
 * check: SPDX licence expressions parse (spdx-expression-parse), every purl parses
 * (packageurl-js), ids are unique and every reference points at something.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FIXTURES, REPO } from './cli.js';

const require = createRequire(import.meta.url);
type Validate = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null };
interface AjvLike {
  compile(schema: object): Validate;
  addSchema(schema: object, key?: string): AjvLike;
}
const Ajv = require('ajv') as { default: new (o: object) => AjvLike };
const addFormats = require('ajv-formats') as { default: (a: AjvLike) => void };
const addFormats2019 = require('ajv-formats-draft2019') as (a: AjvLike) => void;
const parseSpdx = require('spdx-expression-parse') as (e: string) => unknown;
const { PackageURL } = require('packageurl-js') as { PackageURL: { fromString(s: string): { type: string; namespace?: string; name: string; version?: string; qualifiers?: Record<string, string> } } };

const CDX_DIR = path.join(REPO, 'node_modules', '@cyclonedx', 'cyclonedx-library', 'res', 'schema');
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

let spdxValidate: Validate | undefined;
let cdxValidate: Validate | undefined;

function messages(v: Validate): string[] {
  return (v.errors ?? []).slice(0, 20).map((e) => `${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);
}

export function spdxSchemaErrors(doc: unknown): string[] {
  if (!spdxValidate) {
    const ajv = new Ajv.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    spdxValidate = ajv.compile(json(path.join(FIXTURES, 'schemas', 'spdx-2.3.schema.json')));
  }
  return spdxValidate(doc) ? [] : messages(spdxValidate);
}

export function cycloneDxSchemaErrors(doc: unknown): string[] {
  if (!cdxValidate) {
    const ajv = new Ajv.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    addFormats2019(ajv);
    // bom-1.5 refers to them by file name, relative to its own $id
    for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
      const { $id: _published, ...schema } = json(path.join(CDX_DIR, f));
      ajv.addSchema(schema, `http://cyclonedx.org/schema/${f}`);
    }
    cdxValidate = ajv.compile(json(path.join(CDX_DIR, 'bom-1.5.SNAPSHOT.schema.json')));
  }
  return cdxValidate(doc) ? [] : messages(cdxValidate);
}

export function purlErrors(purl: string): string[] {
  try {
    const p = PackageURL.fromString(purl);
    return p.name ? [] : [`${purl}: no name`];
  } catch (e) {
    return [`${purl}: ${(e as Error).message}`];
  }
}

/** What the SPDX schema cannot check: expressions, purls, ids, relationships, LicenseRefs. */
export function spdxSemanticErrors(doc: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const pkgs = doc.packages as Array<Record<string, unknown>>;
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  for (const p of pkgs) {
    const id = p.SPDXID as string;
    if (ids.has(id)) errors.push(`duplicate SPDXID ${id}`);
    if (!/^SPDXRef-[A-Za-z0-9.-]+$/.test(id)) errors.push(`bad SPDXID ${id}`);
    ids.add(id);
    for (const k of ['licenseDeclared', 'licenseConcluded'] as const) {
      const v = p[k] as string | undefined;
      if (v && v !== 'NOASSERTION' && v !== 'NONE') {
        try {
          parseSpdx(v);
        } catch (e) {
          errors.push(`${p.name}: ${k} '${v}' does not parse: ${(e as Error).message}`);
        }
      }
    }
    for (const r of (p.externalRefs as Array<Record<string, string>> | undefined) ?? []) if (r.referenceType === 'purl') errors.push(...purlErrors(r.referenceLocator!));
  }
  for (const r of doc.relationships as Array<Record<string, string>>) {
    for (const k of ['spdxElementId', 'relatedSpdxElement']) if (!ids.has(r[k]!)) errors.push(`relationship to unknown ${r[k]}`);
  }
  const declared = new Set(((doc.hasExtractedLicensingInfos as Array<{ licenseId: string }> | undefined) ?? []).map((l) => l.licenseId));
  for (const p of pkgs) for (const m of String(p.licenseDeclared ?? '').matchAll(/LicenseRef-[A-Za-z0-9.-]+/g)) if (!declared.has(m[0])) errors.push(`${m[0]} used by ${p.name} but not declared`);
  if (!/^[a-z]+:[^#\s]+$/.test(String(doc.documentNamespace))) errors.push(`documentNamespace ${doc.documentNamespace} is not a URI without '#'`);
  return errors;
}

/** What the CycloneDX schema cannot check: unique bom-refs, dependency refs, purls. */
export function cycloneDxSemanticErrors(doc: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const refs = new Set<string>();
  const meta = doc.metadata as { component: Record<string, unknown> & { components?: Array<Record<string, unknown>> } };
  for (const c of [meta.component, ...(meta.component.components ?? []), ...(doc.components as Array<Record<string, unknown>>)]) {
    const ref = c['bom-ref'] as string;
    if (refs.has(ref)) errors.push(`duplicate bom-ref ${ref}`);
    refs.add(ref);
    if (c.purl) errors.push(...purlErrors(c.purl as string));
  }
  for (const d of doc.dependencies as Array<{ ref: string; dependsOn?: string[] }>) for (const r of [d.ref, ...(d.dependsOn ?? [])]) if (!refs.has(r)) errors.push(`dependency on unknown ${r}`);
  return errors;
}

export { PackageURL };

interface TestLike {
  deepEqual(a: unknown, b: unknown, msg?: string): void;
  is(a: unknown, b: unknown, msg?: string): void;
  true(a: boolean, msg?: string): void;
}

/**
 * Check a build's `<name>.d/sbom.*.json` against its dpkg manifest and the schemas: the same
 * installed packages at the same versions and architectures, the image's sha256, dib's version.
 */
export async function checkSbomAgainstManifest(t: TestLike, reportDir: string, name: string, image: string) {
  const { readFile } = await import('node:fs/promises');
  const { createHash } = await import('node:crypto');
  const read = async (f: string) => JSON.parse(await readFile(path.join(reportDir, f), 'utf8')) as Record<string, unknown>;
  const spdx = await read('sbom.spdx.json');
  const cdx = await read('sbom.cdx.json');
  const manifest = JSON.parse(await readFile(path.join(reportDir, 'dib-manifests', `dib-manifest-dpkg-${name}`), 'utf8')) as { packages: Array<{ package: string; arch: string; version: string; status: string }> };
  const errors = [...spdxSchemaErrors(spdx), ...spdxSemanticErrors(spdx), ...cycloneDxSchemaErrors(cdx), ...cycloneDxSemanticErrors(cdx)];
  t.deepEqual(errors, [], 'both documents validate');
  // dpkg-query's binary:Package has ':arch' for Multi-Arch: same packages; the status is 'ii' when installed
  const installed = manifest.packages.filter((p) => /^[ih][iUFWt]/.test(p.status)).map((p) => `${p.package.split(':')[0]} ${p.version} ${p.arch}`).sort();
  const purls = (spdx.packages as Array<Record<string, unknown>>).filter((p) => p.externalRefs).map((p) => PackageURL.fromString((p.externalRefs as Array<{ referenceLocator: string }>)[0]!.referenceLocator));
  const fromSpdx = purls.map((p) => `${p.name} ${p.version} ${p.qualifiers?.arch}`).sort();
  t.deepEqual(fromSpdx, installed, 'SPDX: exactly the installed packages of the manifest');
  const fromCdx = (cdx.components as Array<{ name: string; version: string; purl: string }>).map((c) => `${c.name} ${c.version} ${PackageURL.fromString(c.purl).qualifiers?.arch}`).sort();
  t.deepEqual(fromCdx, installed, 'CycloneDX: exactly the installed packages of the manifest');
  t.true(purls.every((p) => p.qualifiers?.distro === 'debian-12' && p.type === 'deb' && p.namespace === 'debian'), 'purls name debian-12');
  const sha = createHash('sha256').update(await readFile(image)).digest('hex');
  const described = (spdx.packages as Array<{ name: string; checksums?: Array<{ checksumValue: string }> }>).find((p) => p.name === path.basename(image));
  t.is(described?.checksums?.[0]?.checksumValue, sha, 'the image is the described package, with its sha256');
  const report = await read('build-report.json');
  t.true(typeof (report.dib as { version?: string }).version === 'string', 'the build report names dib');
  t.true((report.elements as Array<{ kind: string; version?: string }>).every((e) => e.kind !== 'package' || typeof e.version === 'string'), 'and each element package with its version');
  return {
    spdxPackages: fromSpdx.length,
    cdxComponents: fromCdx.length,
    manifestInstalled: installed.length,
    manifestAll: manifest.packages.length,
    schemaErrors: errors.length,
    spdxNames: purls.map((p) => p.name),
  };
}
