/**
 * The phase driver: runs DIB's phases in order with the mount choreography DIB uses, then
 * assembles the disk and writes the outputs and the build report. Every resource is on the
 * cleanup stack, which is unwound on success, failure and signal alike.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { DibError, isDibError, toDibError } from '../errors.js';
import { now } from '../log/events.js';
import { ChrootMounts } from '../chroot/mounts.js';
import { createChrootRunner, createHostRunner, stopRunningCommands } from '../chroot/run.js';
import type { DibBuild } from './build.js';
import { assertRootDeployed, finaliseBase, swapInResolvConf } from './finalise-base.js';
import { normaliseTree, seedFirstBootNames } from './normalise-tree.js';
import { writeFstab, writeImages, type WrittenOutput } from './finish.js';
import { layoutEnv } from '../disk/layout.js';
import type { Env } from '../vocabulary.js';
import { PHASES, type PhaseName } from '../contract/phases.js';
import { collectInventory, writeReport, writeSbom, type CollectedInventory } from './report.js';
import { OUTPUT_SET_KEY, OutputSet } from '../output/set.js';
import { breakpointRunner, type Breakpoints } from './breakpoints.js';
import { enterLegacyPhase, prepareLegacy } from '../dib-elements/driver.js';
import { Checkpoints, type CheckpointRecord } from './checkpoints.js';
import { assertDiskBuildable, needsDiskImage } from '../disk/buildable.js';

export interface PhaseTiming {
  phase: string;
  seconds: number;
  /** the phase's result came from a checkpoint (or the outputs from the cache): it did not run */
  cached?: boolean;
  /** why it was not cached, when checkpoints could have served it */
  reason?: string;
}

export interface BuildResult {
  ok: boolean;
  seconds: number;
  phases: PhaseTiming[];
  outputs: WrittenOutput[];
  report?: string;
  /** the bill of materials (`sbom.spdx.json`, `sbom.cdx.json`), when an element inventoried the image */
  sbom?: string[];
  error?: DibError;
  /** what became of each phase checkpoint (undefined: checkpoints were not keyed) */
  checkpoints?: CheckpointRecord[];
}

export interface RunBuildOptions {
  breakpoints?: Breakpoints;
}

/** The caller's environment, which host commands inherit (as DIB's host scripts do). */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

export async function runBuild(build: DibBuild, opts: RunBuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const phases: PhaseTiming[] = [];
  let outputs: WrittenOutput[] = [];
  const { log, bus, signal } = build;
  bus.emit({ type: 'build-start', time: now(), name: build.config.name, elements: build.elements.map((e) => e.name), types: build.config.types });
  for (const w of build.resolutionWarnings) log.warn(w);
  let error: DibError | undefined;
  let mounts: ChrootMounts | undefined;
  // every output, <name>.d included, is staged and put in place together at the very end
  const outputSet = new OutputSet(log, path.dirname(build.config.name));
  build.state.set(OUTPUT_SET_KEY, outputSet);
  let inventory: CollectedInventory | undefined;
  let checkpoints: Checkpoints | undefined;
  let cachedSbom: string[] | undefined;
  try {
    // the disk is planned once, here: a bad block-device config fails before any work, and
    // every phase sees DIB's layout variables (DIB_ROOT_LABEL, …) as DIB exports them before
    // root.d; a disk dib cannot make from files (LVM, xfs without mkfs.xfs -p) is refused here
    // too, when a disk image is asked for
    const layout = await build.diskPlan();
    for (const w of layout.warnings) log.warn(w);
    if (needsDiskImage(build.config.types)) await assertDiskBuildable(layout);
    await build.makeWorkDir();
    build.sealEnv(layoutEnv(layout));
    const root = build.paths.targetRoot;
    mounts = new ChrootMounts(root, log, signal);
    const m = mounts;
    build.cleanup.push('unmount the chroot', () => m.unmount());
    // the runners of a phase: host commands see the caller's environment and the phase's;
    // chroot commands too, as DIB's `sudo -E chroot` (the chroot runner drops TMPDIR and
    // VIRTUAL_ENV and sets HOME and PATH, as run_in_target does); each tap gets them bound to
    // its logger
    const phaseRunners = (env: Readonly<Env>) => ({
      host: createHostRunner({ log, signal, env: { ...hostEnv(), ...env } }),
      target: createChrootRunner({ root, log, signal, env: { ...hostEnv(), ...env }, prepare: () => m.mount() }),
    });
    const { host, target } = phaseRunners({ ...build.env, TARGET_ROOT: root });
    const phaseEnv = { ...build.env, TARGET_ROOT: root };
    // phase checkpoints: keyed now; the outputs of an earlier build when nothing changed
    const cp = await Checkpoints.open(build, {
      mounts: m,
      context: (phase) => build.phaseContext(phase, phaseEnv, phaseRunners(phaseEnv)),
      breakpoints: (opts.breakpoints?.points.size ?? 0) > 0,
    });
    checkpoints = cp;
    const reused = await cp.reuseOutputs(outputSet);
    const cachedPhase = (phase: PhaseName) => {
      const info = PHASES.find((p) => p.phase === phase)!;
      bus.emit({ type: 'phase-start', time: now(), phase, taps: build.phaseHooks[info.hook].taps.length });
      phases.push({ phase, seconds: 0, cached: true });
      bus.emit({ type: 'phase-end', time: now(), phase, seconds: 0, cached: true });
    };
    if (reused) {
      for (const p of PHASES) cachedPhase(p.phase);
      outputs = reused.outputs.map((o) => ({ ...o, format: o.format as WrittenOutput['format'] }));
      cachedSbom = reused.sbom;
      phases.push({ phase: 'images', seconds: 0, cached: true });
    } else {
      // directory elements: DIB's hooks tree (TMP_HOOKS_PATH), before any tap runs
      await prepareLegacy(build);
      const brk = breakpointRunner(opts.breakpoints, { root, env: phaseEnv, log, mount: () => m.mount(), host, target });

      const runPhase = async (phase: PhaseName) => {
        if (signal.aborted) throw new DibError('E_INTERRUPTED', `interrupted before the ${phase} phase`);
        const info = PHASES.find((p) => p.phase === phase)!;
        const hook = build.phaseHooks[info.hook];
        const env = { ...build.env, TARGET_ROOT: root };
        const ctx = build.phaseContext(phase, env, phaseRunners(env));
        build.currentPhase = phase;
        // directory elements: the hooks tree read-only at /tmp/in_target.d during chroot phases
        const leaveLegacy = await enterLegacyPhase(build, phase, info.where, signal);
        try {
          await brk(`before-${phase}`, info.where);
          bus.emit({ type: 'phase-start', time: now(), phase, taps: hook.taps.length });
          log.info(`Running phase ${phase} (${hook.taps.length} tap${hook.taps.length === 1 ? '' : 's'})`);
          const p0 = performance.now();
          try {
            await hook.promise(ctx);
          } catch (e) {
            // a failed, timed-out or abandoned tap's commands do not run on into the break shell or the unmount
            await stopRunningCommands();
            if (!(isDibError(e) && e.code === 'E_INTERRUPTED')) await brk('after-error', info.where).catch(() => undefined);
            throw e;
          } finally {
            const seconds = (performance.now() - p0) / 1000;
            const { reason } = cp.status(phase);
            phases.push({ phase, seconds, ...(reason ? { reason } : {}) });
            bus.emit({ type: 'phase-end', time: now(), phase, seconds, cached: false, ...(reason ? { reason } : {}) });
          }
          await brk(`after-${phase}`, info.where);
        } finally {
          await leaveLegacy();
        }
        build.currentPhase = undefined;
      };

      // the longest prefix of matching checkpoints is restored; the phases after it run, and
      // the tree is stored after root, post-install and post-root (checkpoints.ts)
      await cp.start();
      if (cp.restored('root')) cachedPhase('root');
      else {
        await runPhase('root');
        await assertRootDeployed(root, build.elements.map((e) => e.name));
        await cp.save('root');
      }
      if (!cp.restored('post-install')) {
        await swapInResolvConf(root);
        await cp.noteResolvConf();
        // reproducible output: names packages would make at random on install are made on first boot
        if (build.config.sourceDateEpoch !== undefined) await seedFirstBootNames(root);
        await m.mount();
        for (const phase of ['extra-data', 'pre-install', 'install', 'post-install'] as const) await runPhase(phase);
        await cp.save('post-install');
      } else for (const phase of ['extra-data', 'pre-install', 'install', 'post-install'] as const) cachedPhase(phase);
      if (!cp.restored('post-root')) {
        await m.mount();
        await runPhase('post-root');
        await cp.save('post-root');
      } else cachedPhase('post-root');
      await m.unmount();
      await fs.remove(path.join(root, 'lost+found'));

      await writeFstab(build, layout);
      await runPhase('block-device');
      await m.mount();
      for (const phase of ['pre-finalise', 'finalise', 'cleanup'] as const) await runPhase(phase);
      await m.unmount();
      await finaliseBase(root);
      // reproducible output: build-time noise out of the tree, every time clamped
      if (build.config.sourceDateEpoch !== undefined) await normaliseTree(root, build.config.sourceDateEpoch, host, log);
      // the packages of the finished tree, for the bill of materials (written with the report)
      inventory = await collectInventory(build);

      if (cp.seconds > 0) phases.push({ phase: 'checkpoints', seconds: cp.seconds });

      // not a DIB phase, but where the rest of the time goes: shown in the timing table
      const w0 = performance.now();
      outputs = await writeImages(build, host);
      const { reason } = cp.status('images');
      phases.push({ phase: 'images', seconds: (performance.now() - w0) / 1000, ...(reason ? { reason } : {}) });
    }
  } catch (e) {
    error = toDibError(e);
  } finally {
    build.currentPhase = undefined;
    // nothing may run in the tree while it is unmounted and removed: commands of a failed or
    // abandoned tap get SIGTERM, and their PID namespace SIGKILL after a grace period
    await stopRunningCommands();
    const failed = await build.cleanup.unwind();
    if (failed.length && !error) {
      error = new DibError('E_INTERNAL', `cleanup failed: ${failed.join(', ')}`, { hint: 'check for leftover mounts with findmnt and remove the work dir by hand' });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: BuildResult = { ok: !error, seconds, phases, outputs, error, ...(checkpoints?.enabled ? { checkpoints: checkpoints.records() } : {}) };
  if (!error) {
    if (inventory) {
      try {
        result.sbom = await writeSbom(build, result, inventory);
      } catch (e) {
        log.warn(`could not write the bill of materials: ${(e as Error).message}`);
      }
    } else if (cachedSbom) result.sbom = cachedSbom;
    try {
      // a build whose every checkpoint is cached keeps its outputs for the next one
      await checkpoints?.saveOutputs(outputSet, { outputs: result.outputs, ...(result.sbom ? { sbom: result.sbom } : {}) });
      if (checkpoints?.enabled) result.checkpoints = checkpoints.records();
    } catch (e) {
      log.warn(`could not keep the outputs in the cache: ${(e as Error).message}`);
    }
    try {
      result.report = await writeReport(build, result);
    } catch (e) {
      log.warn(`could not write the build report: ${(e as Error).message}`);
    }
    try {
      await outputSet.commit();
      for (const o of outputs) bus.emit({ type: 'output', time: now(), path: o.path, format: o.format, bytes: o.bytes, sha256: o.sha256 });
    } catch (e) {
      error = toDibError(e);
      Object.assign(result, { ok: false, error, report: undefined });
    }
  }
  if (error) {
    // the error is printed and recorded: a failed script's last lines may show a secret
    const e = error;
    const masked = { message: bus.mask(e.message), hint: e.hint === undefined ? undefined : bus.mask(e.hint), details: e.details.map((d) => bus.mask(d)) };
    if (masked.message !== e.message || masked.hint !== e.hint || masked.details.some((d, i) => d !== e.details[i])) {
      error = new DibError(e.code, masked.message, { hint: masked.hint, details: masked.details, exitCode: e.exitCode, ...(e.phase ? { phase: e.phase } : {}), ...(e.element ? { element: e.element } : {}), ...(e.tap ? { tap: e.tap } : {}) });
      result.error = error;
    }
  }
  // a failed or interrupted build: the previous outputs stay as they were
  if (error) await outputSet.discard().catch((e) => log.warn(`could not remove staged outputs: ${(e as Error).message}`));
  bus.emit({ type: 'result', time: now(), ok: !error, seconds, ...(error ? { error: error.toJSON() } : {}) });
  return result;
}
