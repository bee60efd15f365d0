/** An expected failure of a use case; each API edge renders it in its own format. */
export class DomainError extends Error {
  constructor(
    readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED',
    message: string,
    /** Dotted path of the offending input field, when there is one. */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** PostgreSQL unique_violation, for turning races into clear conflicts. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}

/** What a zod issue carries that a message needs: where, and which rule. */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The dotted field an issue is about, under `root` (`input.rows.3.email`; `root` alone for the whole value). */
export function fieldOf(path: readonly PropertyKey[], root = ''): string {
  return [root, ...path].filter((p) => p !== '').map(String).join('.');
}

/**
 * The one zod-issue formatter: each issue as `<field>: <rule>`, joined. `name` says how a path is
 * written at this edge (dotted by default; the CLI writes `--flag`).
 */
export function formatIssues(issues: readonly IssueLike[], name: (path: readonly PropertyKey[]) => string = (p) => fieldOf(p), separator = '; '): string {
  return issues.map((i) => `${name(i.path)}: ${i.message}`).join(separator);
}
