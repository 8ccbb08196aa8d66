import type { CleanupStack, Logger } from '../vocabulary.js';

interface Entry {
  label: string;
  fn: () => Promise<void> | void;
}

/**
 * LIFO stack of undo actions. Everything a build creates (mounts, temp files, work dirs,
 * child processes) registers its undo here when it is made; `unwind` runs them all in
 * reverse order, continuing past failures, and reports the failures.
 */
export class Cleanup implements CleanupStack {
  private entries: Entry[] = [];
  constructor(private readonly log: Logger) {}

  push(label: string, fn: () => Promise<void> | void): () => Promise<void> {
    const entry: Entry = { label, fn };
    this.entries.push(entry);
    return async () => {
      const i = this.entries.indexOf(entry);
      if (i < 0) return;
      this.entries.splice(i, 1);
      await entry.fn();
    };
  }

  get size(): number {
    return this.entries.length;
  }

  /** Run every action, newest first. Returns the labels of the ones that failed. */
  async unwind(): Promise<string[]> {
    const failed: string[] = [];
    while (this.entries.length) {
      const entry = this.entries.pop()!;
      try {
        this.log.debug(`cleanup: ${entry.label}`);
        await entry.fn();
      } catch (e) {
        failed.push(entry.label);
        this.log.error(`cleanup: ${entry.label} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return failed;
  }
}
