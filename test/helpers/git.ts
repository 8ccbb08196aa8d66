import { execa } from 'execa';
import fs from 'fs-extra';

/** A new git repository at `dir` (branch master); returns a `git …` runner inside it. */
export async function gitRepo(dir: string): Promise<(...args: string[]) => Promise<string>> {
  await fs.ensureDir(dir);
  const git = async (...args: string[]) => (await execa('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir })).stdout;
  await git('init', '-q', '-b', 'master');
  return git;
}
