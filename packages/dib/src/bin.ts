#!/usr/bin/env node
/**
 * The `dib` command. When the current directory's project has its own dib installed and this
 * is not it, that one runs instead (in this process); otherwise the command line goes to the
 * core of this install.
 */
import { pathToFileURL } from 'node:url';
import { ownPackage, projectDib } from './local.js';

const HANDOVER = Symbol.for('dib.handedOverFrom');
type Global = typeof globalThis & { [HANDOVER]?: { dir: string; version: string } };

const self = ownPackage();
const local = (globalThis as Global)[HANDOVER] ? undefined : projectDib(process.cwd(), self);

if (local) {
  (globalThis as Global)[HANDOVER] = { dir: self.dir, version: self.version };
  try {
    await import(pathToFileURL(local.bin).href);
  } catch (e) {
    process.stderr.write(`dib: error [E_USAGE] the project's dib at ${local.dir} failed to start: ${(e as Error).message.split('\n')[0]}\n  hint: reinstall it (npm install), or remove it to use this dib (${self.dir})\n`);
    process.exitCode = 1;
  }
} else {
  const { main, printError, setDibInstall } = await import('@dib/core/cli');
  setDibInstall({ dir: self.dir, version: self.version, handedOverFrom: (globalThis as Global)[HANDOVER] });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      printError(e);
      process.exitCode = 1;
    },
  );
}
