import type { StateKey, StateStore } from '../vocabulary.js';

export class MapState implements StateStore {
  private map = new Map<string, unknown>();
  get<T>(key: StateKey<T>): T | undefined {
    return this.map.get(key.name) as T | undefined;
  }
  set<T>(key: StateKey<T>, value: T): void {
    this.map.set(key.name, value);
  }
  has(key: StateKey<unknown>): boolean {
    return this.map.has(key.name);
  }
}
