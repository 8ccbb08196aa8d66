/**
 * The CycloneDX 1.5 BOM (JSON) of an image: the image is the BOM's subject
 * (`metadata.component`, an operating-system component whose sub-components are the output
 * files with their SHA-256), every installed package a component with its purl, version,
 * licence, supplier and, as properties, its architecture and source package; dib and the
 * element packages are `metadata.tools.components`.
 */
import { documentUuid } from './ids.js';
import { packageUrl } from './purl.js';
import type { InventoryPackage, SbomInput } from './types.js';

const IMAGE_REF = 'dib-image';

function tool(t: SbomInput['tools'][number]): Record<string, unknown> {
  const pkg = t.package ?? (t.kind === 'dib' ? '@dib/core' : undefined);
  const scoped = pkg && /^(@[^/]+)\/(.+)$/.exec(pkg);
  return {
    type: t.kind === 'dib' ? 'application' : 'library',
    ...(scoped ? { group: scoped[1], name: scoped[2] } : { name: pkg ?? t.name }),
    ...(t.version ? { version: t.version } : {}),
    ...(t.kind === 'element' ? { description: `dib element ${t.name}${pkg ? '' : ' (DIB element directory)'}` } : { description: 'dib, the disk image builder' }),
    ...(pkg && t.version ? { purl: packageUrl({ type: 'npm', namespace: scoped ? scoped[1] : undefined, name: scoped ? scoped[2]! : pkg, version: t.version }) } : {}),
  };
}

function component(p: InventoryPackage): Record<string, unknown> {
  const props: Array<{ name: string; value: string }> = [];
  if (p.arch) props.push({ name: `dib:${p.type}:architecture`, value: p.arch });
  if (p.source) props.push({ name: `dib:${p.type}:source`, value: p.source.version ? `${p.source.name} ${p.source.version}` : p.source.name });
  if (p.maintainer) props.push({ name: `dib:${p.type}:maintainer`, value: p.maintainer });
  return {
    type: 'library',
    'bom-ref': p.purl,
    ...(p.supplier ? { supplier: { name: p.supplier } } : {}),
    name: p.name,
    version: p.version,
    ...(p.summary ? { description: p.summary } : {}),
    ...(p.license ? { licenses: [{ expression: p.license }] } : {}),
    purl: p.purl,
    ...(p.homepage ? { externalReferences: [{ type: 'website', url: p.homepage }] } : {}),
    ...(props.length ? { properties: props } : {}),
  };
}

export function cyclonedxDocument(input: SbomInput): Record<string, unknown> {
  const os = input.os;
  const files = input.outputs.map((o) => ({
    type: 'file',
    'bom-ref': `${IMAGE_REF}:${o.format}`,
    name: o.name,
    hashes: [{ alg: 'SHA-256', content: o.sha256 }],
    properties: [
      { name: 'dib:output:format', value: o.format },
      { name: 'dib:output:bytes', value: String(o.bytes) },
    ],
  }));
  // one component per package URL (a purl names one package)
  const seen = new Set<string>();
  const components = input.inventory.packages.filter((p) => !seen.has(p.purl) && seen.add(p.purl)).map(component);
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${documentUuid(input)}`,
    version: 1,
    metadata: {
      timestamp: input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      tools: { components: input.tools.map(tool) },
      component: {
        type: 'operating-system',
        'bom-ref': IMAGE_REF,
        name: input.name,
        ...(os.VERSION_ID ? { version: os.VERSION_ID } : {}),
        ...(os.PRETTY_NAME || os.NAME ? { description: `${os.PRETTY_NAME ?? os.NAME} image built by dib` } : {}),
        ...(files.length === 1 ? { hashes: files[0]!.hashes } : {}),
        components: files,
      },
      properties: input.inventory.sources.map((s) => ({ name: 'dib:inventory:source', value: s })),
    },
    components,
    dependencies: [
      { ref: IMAGE_REF, dependsOn: components.map((c) => c['bom-ref'] as string) },
      ...components.map((c) => ({ ref: c['bom-ref'] as string })),
    ],
  };
}
