/**
 * Loads `dib.config.ts` / `.mts`: transpiles with TypeScript (syntax errors become one
 * line with file:line:col), writes a temporary `.mjs` beside the file so that its imports
 * resolve from the config's directory, imports it and removes the temporary file.
 * `@dib/core` resolves to this core when the project has not installed it.
 */
import fs from 'fs-extra';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DibError } from '../errors.js';

let hookRegistered = false;

/** Let configs and elements `import '@dib/core'` even where only the dib CLI is installed. */
export function registerCoreResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const coreEntry = new URL('../index.js', import.meta.url).href;
  register(new URL('./resolve-hook.js', import.meta.url).href, { data: { coreEntry } });
}

export async function loadTsConfig(filepath: string, content: string): Promise<unknown> {
  const ts = (await import('typescript')).default;
  const out = ts.transpileModule(content, {
    fileName: filepath,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  const diag = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (diag) {
    const pos = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start) : undefined;
    const where = pos ? `${filepath}:${pos.line + 1}:${pos.character + 1}` : filepath;
    throw new DibError('E_CONFIG_SYNTAX', `${where}: ${ts.flattenDiagnosticMessageText(diag.messageText, ' ')}`, {
      hint: `fix the syntax error in ${path.basename(filepath)}`,
    });
  }
  registerCoreResolution();
  const tmp = path.join(path.dirname(filepath), `.${path.basename(filepath)}.${process.pid}.${Date.now()}.mjs`);
  await fs.writeFile(tmp, out.outputText);
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
