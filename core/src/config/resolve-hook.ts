/** Node module-resolution hook (registered by ts-loader): `@dib/core` falls back to this core. */
let coreEntry = '';

export function initialize(data: { coreEntry: string }): void {
  coreEntry = data.coreEntry;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (specifier === '@dib/core' && coreEntry) return { url: coreEntry, shortCircuit: true };
    throw e;
  }
}
