import type { StateKey } from '../vocabulary.js';

/**
 * A typed StateStore key, made once by the element that owns the value and exported with it:
 * `export const RESULT = stateKey<Result>('debootstrap:result')`.
 */
export function stateKey<T>(name: string): StateKey<T> {
  return Object.freeze({ name });
}
