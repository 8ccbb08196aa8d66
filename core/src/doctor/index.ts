/**
 * `dib doctor` and the build's pre-flight check: what the current config needs from the host,
 * what is missing, and the apt-get line that installs it.
 */
import type { DibBuild } from '../pipeline/build.js';
import type { DiskLayout } from '../disk/layout.js';
import { DibError } from '../errors.js';
import { releaseTargetOf } from '../contract/os.js';
import { CACHE_LIMITS, WORK_LIMITS, diskCheck, kvmCheck, mirrorCheck, rootCheck, sandboxCheck, type CheckResult } from './checks.js';
import { aptInstallLine, checkTools, collectHostTools, type ToolStatus } from './tools.js';
import { checkArchitecture, checkDisk, checkOutputDir, checkRelease, checkWorkDir } from './preflight.js';
import { outputOptions, selectedFormats } from '../pipeline/output-formats.js';
import { createHostRunner } from '../chroot/run.js';

export * from './tools.js';
export * from './checks.js';
export * from './preflight.js';

export interface DoctorReport {
  /** config file, or undefined when there is none */
  config?: string;
  elements: string[];
  types: string[];
  tools: ToolStatus[];
  checks: CheckResult[];
  /** `apt-get install -y …` for every missing tool, or undefined */
  aptLine?: string;
  /** true when no tool a build needs is missing and no check failed (dib boot's tools may be) */
  ok: boolean;
}

/** The disk layout the build will use (undefined when it cannot be planned yet). */
export async function buildLayout(build: DibBuild): Promise<DiskLayout | undefined> {
  // the build's one plan (memoised: the same UUIDs as the block-device phase)
  return build.diskPlan().catch(() => undefined);
}

export interface DoctorOptions {
  /** include dib boot's tools (default true) */
  boot?: boolean;
  /** probe KVM (default true) */
  kvm?: boolean;
  /** check the mirror (default true) */
  network?: boolean;
  pathEnv?: string;
  uid?: number;
}

/** Tools and checks for a build of `build` (a planned build: nothing has run). */
export async function diagnose(build: DibBuild | undefined, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const layout = build ? await buildLayout(build) : undefined;
  const types = build?.config.types ?? [];
  const needed = collectHostTools({ elements: build?.elements ?? [], env: build?.env ?? {}, formats: build ? selectedFormats(build) : [], layout, boot: opts.boot ?? true });
  const tools = checkTools(needed, opts.pathEnv);
  const checks: CheckResult[] = [rootCheck(opts.uid ?? process.getuid?.())];
  const os = await import('node:os');
  const workDir = build?.config.workDir ?? os.tmpdir();
  const cacheDir = build?.config.cacheDir ?? process.env.DIB_IMAGE_CACHE ?? `${os.homedir()}/.cache/dib`;
  checks.push(await diskCheck('work-dir', 'work dir', workDir, WORK_LIMITS));
  checks.push(await diskCheck('cache-dir', 'cache dir', cacheDir, CACHE_LIMITS));
  if ((opts.uid ?? process.getuid?.()) === 0) checks.push(await sandboxCheck(process.env, await existingDir(workDir)));
  if (opts.kvm ?? true) {
    const qemu = tools.find((t) => t.command === 'qemu-system-x86_64')?.found;
    checks.push(await kvmCheck(qemu));
  }
  if (build) {
    // the build's own pre-flight checks, as doctor lines
    checks.push(await asCheck('output-dir', `output dir ${build.config.name.replace(/\/[^/]*$/, '')} is writable`, () => checkOutputDir(build)));
    checks.push(await asCheck('arch', `every element builds for ${build.config.arch}`, () => checkArchitecture(build)));
    checks.push(await asCheck('disk', 'image size and partitions fit', () => checkDisk(build, layout)));
  }
  if (opts.network ?? true) {
    checks.push(build ? await mirrorCheck(releaseTargetOf(build.elements, build.env), { offline: build.config.offline }) : { id: 'mirror', level: 'skip', message: 'mirror: no config, nothing to check' });
  }
  const missing = tools.filter((t) => !t.found);
  return {
    config: build?.config.file,
    elements: build?.elements.map((e) => e.name) ?? [],
    types,
    tools,
    checks,
    aptLine: aptInstallLine(missing),
    ok: !missing.some((t) => t.purpose === 'build') && !checks.some((c) => c.level === 'fail'),
  };
}

/**
 * The build's pre-flight, before any work: every host tool the build needs (not dib boot's; one
 * E_HOST_TOOL_MISSING naming each missing tool, who needs it and the apt-get line), the
 * architecture, the work, cache and output dirs, the image size and partitions, and that the
 * release exists on the mirror (not offline). Each failure has its own code and exit status 2.
 * Returns warnings (low disk space, a read-only cache, an unreachable mirror) for the log.
 */
export async function preflight(build: DibBuild, opts: { pathEnv?: string; network?: boolean; fetchImpl?: typeof fetch } = {}): Promise<string[]> {
  // a bad block-device config is E_BLOCK_DEVICE_CONFIG here, before anything is made
  const layout = await build.diskPlan();
  const formats = selectedFormats(build);
  const tools = checkTools(collectHostTools({ elements: build.elements, env: build.env, formats, layout }), opts.pathEnv);
  const missing = tools.filter((t) => !t.found);
  if (missing.length) throw missingToolsError(missing);
  // what each output format checks itself (qemu-img's zstd for a zstd qcow2, …)
  const host = createHostRunner({ log: build.log, signal: build.signal });
  for (const f of formats) await f.preflight?.({ options: outputOptions(build.config), run: host, log: build.log });
  checkArchitecture(build);
  await checkWorkDir(build.config.workDir);
  await build.cache.prepare();
  await checkOutputDir(build);
  await checkDisk(build, layout);
  const warnings: string[] = [];
  const space = [await diskCheck('work-dir', 'work dir', build.config.workDir, WORK_LIMITS)];
  // a cache that is not written to needs no space (prepare() said so already)
  if (build.cache.writable) space.push(await diskCheck('cache-dir', 'cache dir', build.config.cacheDir, CACHE_LIMITS));
  for (const c of space) {
    if (c.level === 'warn' || c.level === 'fail') warnings.push(`${c.message}${c.hint ? ` (${c.hint})` : ''}`);
  }
  if (opts.network ?? true) {
    const release = await checkRelease(build, { fetchImpl: opts.fetchImpl });
    for (const n of release.notes) build.log.info(n);
    warnings.push(...release.warnings);
  }
  return warnings;
}

async function asCheck(id: string, ok: string, fn: () => unknown): Promise<CheckResult> {
  try {
    await fn();
    return { id, level: 'ok', message: ok };
  } catch (e) {
    if (!(e instanceof DibError)) throw e;
    return { id, level: 'fail', message: `${e.message} [${e.code}]`, ...(e.hint ? { hint: e.hint } : {}) };
  }
}

export function missingToolsError(missing: readonly ToolStatus[]): DibError {
  const names = missing.map((t) => t.command);
  const line = aptInstallLine(missing)!;
  return new DibError('E_HOST_TOOL_MISSING', `missing host tool${missing.length === 1 ? '' : 's'}: ${names.join(', ')}`, {
    hint: `${line}   (or: dib doctor --fix)`,
    details: missing.map((t) => `${t.command} (package ${t.package}) needed by ${t.neededBy.map((by, i) => (t.why[i] && !by.endsWith('output') ? `${by}: ${t.why[i]}` : by)).join('; ')}`),
  });
}

async function existingDir(dir: string): Promise<string | undefined> {
  const fs = await import('node:fs/promises');
  return (await fs.stat(dir).then((s) => s.isDirectory(), () => false)) ? dir : undefined;
}

const MARK: Record<string, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** The human-readable doctor report. */
export function formatDoctor(r: DoctorReport): string[] {
  const lines: string[] = [];
  lines.push(r.config ? `config: ${r.config}` : 'config: none (checking what every build needs)');
  if (r.elements.length) lines.push(`elements: ${r.elements.join(' ')}`);
  if (r.types.length) lines.push(`outputs: ${r.types.join(', ')}`);
  lines.push('', 'host tools:');
  const w = Math.max(8, ...r.tools.map((t) => t.command.length));
  for (const t of r.tools) {
    const mark = t.found ? 'ok  ' : t.purpose === 'boot' ? 'miss' : 'MISS';
    const who = t.neededBy.map((by, i) => (t.why[i] && !by.endsWith('output') ? `${by}: ${t.why[i]}` : by)).join('; ');
    lines.push(`  ${mark}  ${t.command.padEnd(w)}  ${(t.found ? '' : `(${t.package}) `) + who}`);
  }
  lines.push('', 'host:');
  for (const c of r.checks) {
    lines.push(`  ${MARK[c.level]}  ${c.message}`);
    if (c.hint && c.level !== 'ok' && c.level !== 'skip') lines.push(`        hint: ${c.hint}`);
  }
  lines.push('');
  const missBuild = r.tools.filter((t) => !t.found && t.purpose === 'build');
  const missBoot = r.tools.filter((t) => !t.found && t.purpose === 'boot');
  if (r.aptLine) {
    const parts = [];
    if (missBuild.length) parts.push(`${missBuild.length} needed to build`);
    if (missBoot.length) parts.push(`${missBoot.length} for dib boot`);
    lines.push(`missing: ${parts.join(', ')}. Install with:`, `  ${r.aptLine}`, `(dib doctor --fix runs it)`);
  } else {
    lines.push('every host tool is installed');
  }
  const failed = r.checks.filter((c) => c.level === 'fail');
  lines.push(r.ok ? 'doctor: ready to build' : `doctor: not ready (${[missBuild.length ? 'missing tools' : '', ...failed.map((c) => c.id)].filter(Boolean).join(', ')})`);
  return lines;
}
