/**
 * `dib element-info`: DIB's element-info. Like upstream's it always expands the dependencies
 * and applies DIB's rules (an operating-system element is required, a requested name another
 * element provides is "already provided"); `--expand-dependencies` is accepted for older
 * scripts and changes nothing.
 */
import { parseCommand } from './args.js';
import { helpRequested, loadConfig } from './common.js';
import { ElementResolver } from '../elements/resolve.js';
import { expandElements } from '../elements/expand.js';
import { imageElementYaml } from '../pipeline/environment.js';
import type { ResolvedElement } from '../contract/element.js';

export const ELEMENT_INFO_USAGE = `Usage: dib element-info [--config PATH] [--env|-e] NAME…

Resolves element names as a build would (paths, elementsPath, packages), expands their
dependencies with DIB's rules (an operating-system element is required) and prints:
  (default)               the expanded names, space-separated
  --env                   IMAGE_ELEMENT, IMAGE_ELEMENT_YAML and get_image_element_array, for eval
  --expand-dependencies   accepted for compatibility (expansion is always done), -d`;

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function formatElementEnv(elements: readonly ResolvedElement[]): string {
  const names = elements.map((e) => e.name).join(' ');
  const arr = [...elements]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e) => `[${e.name}]=${e.dir}`)
    .join(' ');
  return [
    `export IMAGE_ELEMENT=${shq(names)}`,
    `export IMAGE_ELEMENT_YAML=${shq(imageElementYaml(elements) + '\n')}`,
    `function get_image_element_array {`,
    `  echo "${arr}"`,
    `};`,
    `export -f get_image_element_array;`,
  ].join('\n');
}

export async function elementInfoCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) {
    process.stdout.write(ELEMENT_INFO_USAGE + '\n');
    return 0;
  }
  const { flags, positionals } = parseCommand<{ config?: string; 'expand-dependencies'?: boolean; env?: boolean }>('element-info', argv, {
    config: { type: 'string' },
    'expand-dependencies': { type: 'boolean', short: 'd' },
    env: { type: 'boolean', short: 'e' },
  });
  const config = await loadConfig({ configPath: flags.config, overrides: positionals.length ? { elements: positionals } : {} });
  const resolver = new ElementResolver({ baseDir: config.baseDir, elementsPath: config.elementsPath });
  const { elements } = await expandElements(config.elements, { resolve: (n) => resolver.resolve(n) });
  process.stdout.write((flags.env ? formatElementEnv(elements) : elements.map((e) => e.name).join(' ')) + '\n');
  return 0;
}
