/**
 * A DIB element directory as a dib Element: element-deps/element-provides, environment.d (a
 * preview for TypeScript elements; scripts source the fragments themselves), and one tap per
 * `<phase>.d/NN-name` script at stage NN, named by the full basename (DIB's duplicate rule),
 * ordered with TypeScript taps by (stage, name without its number). install.d install-type
 * alternatives (`<prefix>-<type>-install/`) contribute the scripts of the selected type.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { PHASES, type PhaseName } from '../contract/phases.js';
import type { Build, TapOptions } from '../contract/build.js';
import { defineElement, type Element } from '../contract/element.js';
import { markPreview, previewFragments } from './env.js';
import { FRAGMENT_NAME, compareFragments, listScripts } from './run-parts.js';
import { runScript } from './script.js';
import { directoryElementWarnings } from './shadow.js';

const INSTALL_TYPE_DIR = /^(.+)-([^-]+)-install$/;

/** element-deps / element-provides: one name per line, stripped, blanks ignored, no comments. */
export async function readNameList(file: string): Promise<string[]> {
  if (!(await fs.pathExists(file))) return [];
  return (await fs.readFile(file, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Tap options with the extra fields the core's hooks understand. */
type ScriptTapOptions = TapOptions & { kind: 'script'; sortName: string; element?: string };

export interface LegacyScriptTap {
  phase: PhaseName;
  name: string;
  stage: number;
  sortName: string;
  /** path relative to the element (and to the hooks tree): `install.d/10-foo` */
  rel: string;
  /** install.d alternative directory it comes from, and its type */
  alternative?: { dir: string; prefix: string; type: string };
}

/** The scripts of a directory element, per phase, as taps (alternatives filtered by install type). */
export async function scriptTaps(dir: string, installTypeOfPrefix: (prefix: string) => string): Promise<LegacyScriptTap[]> {
  const out: LegacyScriptTap[] = [];
  for (const p of PHASES) {
    const phaseDir = path.join(dir, `${p.phase}.d`);
    if (!(await fs.stat(phaseDir).catch(() => undefined))?.isDirectory()) continue;
    for (const s of (await listScripts(phaseDir)).scripts) {
      out.push({ phase: p.phase, name: s.name, stage: s.stage, sortName: s.sortName, rel: `${p.phase}.d/${s.name}` });
    }
    if (p.phase !== 'install') continue;
    for (const sub of (await fs.readdir(phaseDir)).sort()) {
      const m = INSTALL_TYPE_DIR.exec(sub);
      if (!m || !(await fs.stat(path.join(phaseDir, sub))).isDirectory()) continue;
      const [, prefix = '', type = ''] = m;
      if (installTypeOfPrefix(prefix) !== type) continue;
      for (const s of (await listScripts(path.join(phaseDir, sub))).scripts) {
        out.push({ phase: p.phase, name: s.name, stage: s.stage, sortName: s.sortName, rel: `${p.phase}.d/${sub}/${s.name}`, alternative: { dir: sub, prefix, type } });
      }
    }
  }
  return out;
}

function installTypeFor(build: Build, prefix: string): string {
  return build.env[`DIB_INSTALLTYPE_${prefix.replace(/-/g, '_')}`] || build.env.DIB_DEFAULT_INSTALLTYPE || build.config.installType || 'source';
}

/** Load a DIB element directory as an Element. */
export async function loadLegacyElement(dir: string, name: string): Promise<Element> {
  const deps = await readNameList(path.join(dir, 'element-deps'));
  const provides = await readNameList(path.join(dir, 'element-provides'));
  const envDir = path.join(dir, 'environment.d');
  const fragments = (await fs.readdir(envDir).catch(() => [] as string[]))
    .filter((f) => FRAGMENT_NAME.test(f) && fs.statSync(path.join(envDir, f), { throwIfNoEntry: false })?.isFile())
    .sort(compareFragments)
    .map((f) => path.join(envDir, f));
  return defineElement({
    name,
    description: `DIB element directory ${dir}`,
    deps,
    provides,
    ...(fragments.length ? { environment: markPreview((env) => previewFragments(fragments, env) ?? {}) } : {}),
    async apply(build) {
      // before any work (createBuild applies every element, for dib plan too)
      const said = await directoryElementWarnings(name, dir);
      for (const w of said.warnings) build.log.warn(w);
      for (const n of said.notes) build.log.info(n);
      for (const t of await scriptTaps(dir, (prefix) => installTypeFor(build, prefix))) {
        const info = { phase: t.phase, name: t.name, rel: t.rel, alternative: t.alternative?.dir };
        const opts: ScriptTapOptions = { name: t.name, stage: t.stage, sortName: t.sortName, kind: 'script' };
        if (t.alternative && t.alternative.prefix === name) opts.installType = t.alternative.type;
        const hook = build.hooks[PHASES.find((p) => p.phase === t.phase)!.hook];
        hook.tapPromise(opts, (ctx) => runScript(ctx, info));
      }
    },
  });
}
