/**
 * The one zod-issue formatter: how a broken rule is named everywhere (API edges, DCI messages,
 * distribution rows, tokens, configuration, the CLI). Pure, so the domain rules use it too.
 */

/** One broken rule: the dotted field it is about and the rule. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** What a zod issue carries that a message needs: where, and which rule. */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The field an issue is about, under `root`: dotted (`input.rows.3.email`), or with `brackets`
 * the JSON-path style of the DCI standard (`message.search_request[0].reference_id`); `root` alone
 * for the whole value.
 */
export function fieldOf(path: readonly PropertyKey[], root = '', style: 'dots' | 'brackets' = 'dots'): string {
  return [root, ...path]
    .filter((p) => p !== '')
    .reduce<string>((acc, p) => (style === 'brackets' && typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** The issues of a zod validation as fields and rules. */
export function fieldIssues(issues: readonly IssueLike[], root = '', style: 'dots' | 'brackets' = 'dots'): FieldIssue[] {
  return issues.map((i) => ({ field: fieldOf(i.path, root, style), message: i.message }));
}

/**
 * The one zod-issue formatter: each issue as `<field>: <rule>` (the rule alone where there is no
 * field), joined. `name` says how a path is written here (dotted by default; the CLI writes
 * `--flag`, the configuration the variable's name).
 */
export function formatIssues(issues: readonly IssueLike[], name: (path: readonly PropertyKey[]) => string = (p) => fieldOf(p), separator = '; '): string {
  return issues
    .map((i) => {
      const field = name(i.path);
      return field ? `${field}: ${i.message}` : i.message;
    })
    .join(separator);
}
