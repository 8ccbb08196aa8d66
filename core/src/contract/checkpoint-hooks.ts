/**
 * The core's checkpoint hooks: what an element that holds something inside the image tree
 * across phases (a mount, a running process) does when the tree is stored as a phase checkpoint
 * or the build goes on from one. dib stores the tree after the root, post-install and
 * post-root phases; to store it, nothing may be mounted below it.
 *
 * `suspend` is called before a checkpoint is stored: release what you hold in the tree.
 * `resume` is called after it was stored, and also when a build restores a checkpoint instead
 * of running the phases that made it (`restored: true`): take back what you would hold at that
 * point — after the root and post-install checkpoints dpkg's shared apt archive is bind-mounted
 * again, since DIB keeps it mounted from root until post-root.
 *
 *   getCheckpointHooks(build).suspend.tapPromise('dpkg', async () => archive.unmount());
 *   getCheckpointHooks(build).resume.tapPromise('dpkg', async (ctx, at) => {
 *     if (at.after !== 'post-root') await archive.mount(ctx);
 *   });
 */
import { AsyncSeriesHook } from 'tapable';
import { createHooksRegistry } from './hooks-registry.js';
import type { Build, PhaseContext } from './build.js';
import type { PhaseName } from './phases.js';

export interface CheckpointPoint {
  /** the last phase the checkpoint holds (`root`, `post-install`, `post-root`) */
  after: PhaseName;
  /** true when the build restored the checkpoint instead of running the phases up to `after` */
  restored: boolean;
}

export interface CheckpointHooks {
  /** The tree is about to be stored: release what you hold inside it. */
  suspend: AsyncSeriesHook<[PhaseContext, CheckpointPoint]>;
  /** The build goes on from a checkpoint (stored or restored): take back what you hold there. */
  resume: AsyncSeriesHook<[PhaseContext, CheckpointPoint]>;
}

export const getCheckpointHooks: (build: Build) => CheckpointHooks = createHooksRegistry('checkpoint', () =>
  Object.freeze({
    suspend: new AsyncSeriesHook<[PhaseContext, CheckpointPoint]>(['ctx', 'point']),
    resume: new AsyncSeriesHook<[PhaseContext, CheckpointPoint]>(['ctx', 'point']),
  }),
);
