/**
 * The SPDX 2.3 document (JSON) of an image: each output file is a package the document
 * DESCRIBES, with its sha256; each installed package is a package the outputs CONTAIN, with
 * its version, architecture and source package (sourceInfo), its declared licence and its
 * purl (an external reference of category PACKAGE-MANAGER); dib and the element packages are
 * the creators (`Tool: name-version`).
 */
import { documentUuid, licenseRefsIn } from './ids.js';
import type { InventoryPackage, SbomInput, SbomOutput } from './types.js';

/** SPDX ids: letters, digits, `.` and `-` only. */
function spdxId(...parts: string[]): string {
  return `SPDXRef-${parts.map((p) => p.replace(/[^A-Za-z0-9.-]+/g, '-')).join('-')}`;
}

function toolCreator(t: SbomInput['tools'][number]): string {
  const name = t.package ?? t.name;
  return `Tool: ${t.version ? `${name}-${t.version}` : name}`;
}

function imagePackage(o: SbomOutput, input: SbomInput): Record<string, unknown> {
  const os = input.os.PRETTY_NAME ?? input.os.NAME;
  return {
    SPDXID: spdxId('Image', o.format),
    name: o.name,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    checksums: [{ algorithm: 'SHA256', checksumValue: o.sha256 }],
    primaryPackagePurpose: 'OPERATING_SYSTEM',
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(os ? { description: `${os} image (${o.format}, ${o.bytes} bytes) built by dib` } : {}),
  };
}

function softwarePackage(p: InventoryPackage, id: string): Record<string, unknown> {
  const src = p.source ? `built from the ${p.type} source package ${p.source.name}${p.source.version ? ` ${p.source.version}` : ''}` : undefined;
  return {
    SPDXID: id,
    name: p.name,
    versionInfo: p.version,
    ...(p.supplier ? { supplier: `Organization: ${p.supplier}` } : {}),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    ...(src ? { sourceInfo: src } : {}),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: p.license ?? 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(p.summary ? { summary: p.summary } : {}),
    ...(p.homepage ? { homepage: p.homepage } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
    ...(p.arch ? { comment: `architecture: ${p.arch}` } : {}),
  };
}

export function spdxDocument(input: SbomInput): Record<string, unknown> {
  const ids = new Set<string>();
  const unique = (id: string) => {
    let u = id;
    for (let i = 2; ids.has(u); i++) u = `${id}-${i}`;
    ids.add(u);
    return u;
  };
  const images = input.outputs.map((o) => ({ ...imagePackage(o, input), SPDXID: unique(spdxId('Image', o.format)) }));
  const pkgs = input.inventory.packages.map((p) => softwarePackage(p, unique(spdxId('Package', p.type, p.name, p.arch ?? ''))));
  const relationships: Array<Record<string, string>> = [];
  for (const img of images) relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: img.SPDXID as string });
  for (const img of images) for (const p of pkgs) relationships.push({ spdxElementId: img.SPDXID as string, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID as string });
  const refs = licenseRefsIn(input.inventory.packages.map((p) => p.license));
  const dib = input.tools.find((t) => t.kind === 'dib');
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: input.name,
    documentNamespace: `https://spdx.org/spdxdocs/dib-${encodeURIComponent(input.name)}-${documentUuid(input)}`,
    creationInfo: {
      created: input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: input.tools.map(toolCreator),
      comment: `made by dib${dib?.version ? ` ${dib.version}` : ''} from ${input.inventory.sources.join(', ') || 'the image'}`,
    },
    packages: [...images, ...pkgs],
    relationships,
    ...(refs.length
      ? {
          hasExtractedLicensingInfos: refs.map((id) => {
            const ref = input.inventory.licenseRefs[id];
            return { licenseId: id, name: ref?.name ?? id.slice('LicenseRef-'.length), extractedText: ref?.text ?? `${id}: named by a package of the image; no text recorded` };
          }),
        }
      : {}),
  };
}
