/** DIB's phases, in DIB's order, with the hook name dib uses for each. */
export const PHASES = [
  { phase: 'root', hook: 'root', where: 'host' },
  { phase: 'extra-data', hook: 'extraData', where: 'host' },
  { phase: 'pre-install', hook: 'preInstall', where: 'chroot' },
  { phase: 'install', hook: 'install', where: 'chroot' },
  { phase: 'post-install', hook: 'postInstall', where: 'chroot' },
  { phase: 'post-root', hook: 'postRoot', where: 'host' },
  { phase: 'block-device', hook: 'blockDevice', where: 'host' },
  { phase: 'pre-finalise', hook: 'preFinalise', where: 'host' },
  { phase: 'finalise', hook: 'finalise', where: 'chroot' },
  { phase: 'cleanup', hook: 'cleanup', where: 'host' },
] as const;

export type PhaseName = (typeof PHASES)[number]['phase'];
export type HookName = (typeof PHASES)[number]['hook'];
export type PhaseWhere = 'host' | 'chroot';

export const PHASE_NAMES: readonly PhaseName[] = PHASES.map((p) => p.phase);

export function phaseInfo(name: PhaseName | HookName): (typeof PHASES)[number] {
  const p = PHASES.find((x) => x.phase === name || x.hook === name);
  if (!p) throw new Error(`unknown phase ${name}`);
  return p;
}

export function isPhaseName(s: string): s is PhaseName {
  return PHASES.some((p) => p.phase === s);
}
