/**
 * `dib element-info`: DIB's element-info (docs/dib-behaviour.md#element-info). Like upstream's
 * it always expands the dependencies and applies DIB's rules (an operating-system element is
 * required, a requested name another element provides is "already provided");
 * `--expand-dependencies` is accepted for older scripts and changes nothing.
 */
import { shellQuote } from '../util/shell.js';
import { loadCommandConfig, prepareCommand } from './common.js';
import { ElementResolver } from '../elements/resolve.js';
import { expandElements } from '../elements/expand.js';
import { imageElementYaml } from '../pipeline/environment.js';
import type { ResolvedElement } from '../contract/element.js';

export function formatElementEnv(elements: readonly ResolvedElement[]): string {
  const names = elements.map((e) => e.name).join(' ');
  const arr = [...elements]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e) => `[${e.name}]=${e.dir}`)
    .join(' ');
  return [
    `export IMAGE_ELEMENT=${shellQuote(names)}`,
    `export IMAGE_ELEMENT_YAML=${shellQuote(imageElementYaml(elements) + '\n')}`,
    `function get_image_element_array {`,
    `  echo "${arr}"`,
    `};`,
    `export -f get_image_element_array;`,
  ].join('\n');
}

export async function elementInfoCommand(argv: string[]): Promise<number> {
  const parsed = await prepareCommand('element-info', argv);
  if (!parsed) return 0;
  const { config } = await loadCommandConfig(parsed);
  const resolver = new ElementResolver({ baseDir: config.baseDir, elementsPath: config.elementsPath });
  const { elements } = await expandElements(config.elements, { resolve: (n, by) => resolver.resolve(n, by) });
  process.stdout.write((parsed.values.has('env') ? formatElementEnv(elements) : elements.map((e) => e.name).join(' ')) + '\n');
  return 0;
}
