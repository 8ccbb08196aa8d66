/**
 * Loads `dib.config.ts` / `.mts` without the TypeScript compiler: sucrase strips the types
 * (about 10 ms; a syntax error becomes one line with file:line:col), the result is written to
 * a temporary `.mjs` beside the file so that its imports resolve from the config's directory,
 * imported, and removed. `@dib/core` resolves to the running core when the project has not
 * installed it. Like `tsc --noCheck`, nothing is type-checked here: the editor does that.
 *
 * Also explains the usual mistake with `.js` configs: ESM syntax in a CommonJS package (or
 * CommonJS in an ESM one), which Node reports as a bare SyntaxError/ReferenceError.
 */
import fs from 'fs-extra';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DibError } from '../errors.js';

const require = createRequire(import.meta.url);
let hookRegistered = false;

/** Let configs and elements `import '@dib/core'` even where only the dib CLI is installed. */
export function registerCoreResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const coreEntry = new URL('../index.js', import.meta.url).href;
  register(new URL('./resolve-hook.js', import.meta.url).href, { data: { coreEntry } });
}

/** TypeScript source → JavaScript with the same ES module syntax; throws E_CONFIG_SYNTAX. */
export function stripTypes(filepath: string, content: string): string {
  const { transform } = require('sucrase') as typeof import('sucrase');
  try {
    return transform(content, { transforms: ['typescript'], filePath: filepath, disableESTransforms: true }).code;
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const where = err.loc ? `${filepath}:${err.loc.line}:${err.loc.column}` : filepath;
    const what = err.message.replace(/^Error transforming [^:]*: /, '').replace(/ \(\d+:\d+\)$/, '');
    throw new DibError('E_CONFIG_SYNTAX', `${where}: ${what}`, { hint: `fix the syntax error in ${path.basename(filepath)}` });
  }
}

export async function loadTsConfig(filepath: string, content: string): Promise<unknown> {
  const code = stripTypes(filepath, content);
  registerCoreResolution();
  const tmp = path.join(path.dirname(filepath), `.${path.basename(filepath)}.${process.pid}.${Date.now()}.mjs`);
  await fs.writeFile(tmp, code);
  try {
    const mod = (await import(pathToFileURL(tmp).href)) as { default?: unknown };
    return mod.default ?? mod;
  } catch (e) {
    if (e instanceof DibError) throw e;
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    throw new DibError('E_CONFIG_SYNTAX', `${filepath}: ${msg.replaceAll(tmp, filepath)}`, {
      hint: `fix ${path.basename(filepath)} (an import that does not resolve: install it next to the config with npm)`,
    });
  } finally {
    await fs.remove(tmp);
  }
}

/** The nearest package.json's "type" for `file`, and that package.json. */
function packageType(file: string): { type: string; packageJson?: string } {
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    const pj = path.join(d, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        const type = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { type?: unknown }).type;
        return { type: type === 'module' ? 'module' : 'commonjs', packageJson: pj };
      } catch {
        return { type: 'commonjs', packageJson: pj };
      }
    }
    if (path.dirname(d) === d) return { type: 'commonjs' };
  }
}

/**
 * Node's error for a `.js` config that uses the other module system, turned into one line with
 * the fix; undefined for any other error.
 */
export function explainModuleMismatch(filepath: string, e: unknown): DibError | undefined {
  if (path.extname(filepath) !== '.js') return undefined;
  const msg = (e as Error)?.message ?? '';
  const { type, packageJson } = packageType(filepath);
  const base = path.basename(filepath);
  const stem = base.slice(0, -3);
  const pj = packageJson ? path.relative(path.dirname(filepath), packageJson) || 'package.json' : 'no package.json';
  if (type === 'commonjs' && /Cannot use import statement outside a module|Unexpected token 'export'|exports is not defined in ES module scope/.test(msg)) {
    return new DibError('E_CONFIG_SYNTAX', `${filepath}: ${base} uses import/export, but the project is CommonJS (${pj}: "type" is not "module")`, {
      hint: `rename it to ${stem}.mjs or ${stem}.ts, or set "type": "module" in package.json`,
    });
  }
  if (type === 'module' && /(module|require|exports) is not defined in ES module scope/.test(msg)) {
    return new DibError('E_CONFIG_SYNTAX', `${filepath}: ${base} uses module.exports/require, but the project is ESM (${pj}: "type": "module")`, {
      hint: `rename it to ${stem}.cjs, or write it as \`export default defineConfig({ … })\``,
    });
  }
  return undefined;
}
