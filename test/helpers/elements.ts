import { defineElement, type ElementDefinition, type ResolvedElement } from '@dib/core';
import { DibError } from '@dib/core';

/** An in-memory element set for expansion and hook tests. */
export function memoryResolver(defs: ElementDefinition[]): (name: string) => Promise<ResolvedElement> {
  const map = new Map(defs.map((d) => [d.name, defineElement(d)]));
  return async (name) => {
    const el = map.get(name);
    if (!el) throw new DibError('E_ELEMENT_NOT_FOUND', `Element '${name}' not found`);
    return { name, element: el, dir: `/elements/${name}`, kind: 'package', packageName: `@dib/element-${name}` };
  };
}
