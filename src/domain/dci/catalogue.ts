/**
 * The attributes a registry's records have, derived from one full sample record: every leaf's
 * dotted path, its JSON type, and which path segments hold arrays. Queries and sorts may name only
 * these attributes, and their values must have the attribute's type.
 */
export type LeafType = 'string' | 'number' | 'boolean';

export interface Attribute {
  path: string;
  segments: string[];
  /** arrays[i]: the value at segments[i] is an array (of objects, or of scalars for the leaf). */
  arrays: boolean[];
  type: LeafType;
  /** A stored column holding this number attribute's values as a nummultirange, GiST-indexed (range filters use it). */
  column?: string;
  /** A stored `text[]` column holding the strings `$eq` would match on this string attribute, GIN-indexed (`$eq`/`$ne`/`$in` use it). */
  stringsColumn?: string;
}

export type Catalogue = Map<string, Attribute>;

export function buildCatalogue(sample: Record<string, unknown>): Catalogue {
  const out: Catalogue = new Map();
  const walk = (value: unknown, segments: string[], arrays: boolean[]) => {
    if (Array.isArray(value)) {
      if (value.length === 0) return;
      const marked = [...arrays.slice(0, -1), true];
      walk(value[0], segments, marked);
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...segments, k], [...arrays, false]);
      return;
    }
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') {
      const path = segments.join('.');
      out.set(path, { path, segments, arrays, type });
    }
  };
  walk(sample, [], []);
  return out;
}

/**
 * Finds the attribute a query names: the exact dotted path, a path under a registry alias
 * (`farm_info.location.geo.latitude`), or a bare leaf name that only one attribute ends with
 * (`poverty_score`).
 */
export function resolveAttribute(catalogue: Catalogue, aliases: Record<string, string>, name: string): Attribute | undefined {
  const exact = catalogue.get(name);
  if (exact) return exact;
  const alias = Object.keys(aliases)
    .sort((a, b) => b.length - a.length)
    .find((prefix) => name === prefix || name.startsWith(`${prefix}.`));
  if (alias) {
    const aliased = catalogue.get(aliases[alias] + name.slice(alias.length));
    if (aliased) return aliased;
  }
  if (!name.includes('.')) {
    const matches = [...catalogue.values()].filter((a) => a.segments[a.segments.length - 1] === name);
    if (matches.length === 1) return matches[0];
  }
  return undefined;
}

/** True when no segment is an array: such attributes have one value per record and can be sorted on. */
export function isSingleValued(a: Attribute): boolean {
  return !a.arrays.some(Boolean);
}
