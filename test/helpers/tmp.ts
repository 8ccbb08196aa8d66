import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';

const dirs = new Set<string>();

/** A fresh temp dir, removed when the test process exits (one exit hook for all of them). */
export async function tmpDir(prefix = 'dib-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  if (dirs.size === 0) {
    process.once('exit', () => {
      for (const d of dirs) {
        try {
          fs.removeSync(d);
        } catch {
          /* mounts are checked by the tests themselves */
        }
      }
    });
  }
  dirs.add(dir);
  return dir;
}

/** Write a file tree: { 'a/b.txt': 'text' }; values ending with an exec marker get mode 0755. */
export async function writeTree(root: string, files: Record<string, string | { text: string; mode: number }>): Promise<void> {
  for (const [rel, v] of Object.entries(files)) {
    const p = path.join(root, rel);
    await fs.ensureDir(path.dirname(p));
    if (typeof v === 'string') await fs.writeFile(p, v);
    else {
      await fs.writeFile(p, v.text);
      await fs.chmod(p, v.mode);
    }
  }
}

/** A package element in node_modules that needs no import (a plain object with the contract). */
export async function fakeElementPackage(
  nodeModules: string,
  pkg: string,
  def: { name: string; deps?: string[]; provides?: string[]; contract?: number },
  meta: { version?: string; keywords?: string[] } = {},
): Promise<string> {
  const dir = path.join(nodeModules, pkg);
  await writeTree(dir, {
    'package.json': JSON.stringify({ name: pkg, version: meta.version ?? '1.0.0', type: 'module', main: 'index.js', keywords: meta.keywords ?? ['dib-element'] }),
    'index.js': `export default ${JSON.stringify({ contract: 1, ...def })};\n`,
  });
  return dir;
}
