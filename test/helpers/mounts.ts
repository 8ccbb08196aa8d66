import fs from 'fs-extra';

/** Mount points at or below `dir` (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!)
    .filter((p) => p === dir || p.startsWith(dir + '/'));
}
