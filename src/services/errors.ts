import { FieldIssue, fieldIssues, fieldOf, formatIssues, IssueLike } from '../domain/issues';

/**
 * The one error path. A use case refuses with a DomainError: a code, the field it is about, the
 * HTTP status that code means and, for a validation, every broken rule. zod failures become one
 * through `invalid` (the one zod-issue formatter). Each edge renders it in its own format:
 * GraphQL (api/graphql/errors.ts), REST (api/http/errors.ts), DCI (api/dci/router.ts), the CLI.
 */

/** The kinds of expected failure and the HTTP status each one answers with. */
export const ERROR_STATUS = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SERVICE_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** An expected failure of a use case; each API edge renders it in its own format. */
export class DomainError extends Error {
  /** Dotted path of the offending input field, when there is one. */
  readonly field?: string;
  /** HTTP status of the refusal: the code's (ERROR_STATUS) unless a protocol says otherwise. */
  readonly status: number;
  /** Every broken rule, when the refusal is a validation (the first one is `field`). */
  readonly issues?: FieldIssue[];

  constructor(
    readonly code: ErrorCode,
    message: string,
    field?: string,
    opts: { status?: number; issues?: FieldIssue[] } = {},
  ) {
    super(field ? `${field}: ${message}` : message);
    this.field = field ?? opts.issues?.[0]?.field;
    this.status = opts.status ?? ERROR_STATUS[code];
    this.issues = opts.issues;
  }

  /** What every edge's error body carries beside code and message: the field and the issues, where there are any. */
  get details(): { field?: string; issues?: FieldIssue[] } {
    return { ...(this.field ? { field: this.field } : {}), ...(this.issues ? { issues: this.issues } : {}) };
  }
}

/** A zod validation failure as one BAD_USER_INPUT naming every field (under `root`) and its rule. */
export function invalid(error: { issues: readonly IssueLike[] }, root = '', opts: { style?: 'dots' | 'brackets'; limit?: number } = {}): DomainError {
  const broken = error.issues.slice(0, opts.limit);
  const message = formatIssues(broken, (p) => fieldOf(p, root, opts.style));
  return new DomainError('BAD_USER_INPUT', message, undefined, { issues: fieldIssues(broken, root, opts.style) });
}

/** PostgreSQL unique_violation, for turning races into clear conflicts. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}
