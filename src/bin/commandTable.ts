import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { Config, ConfigError, loadConfig } from '../config';
import { createDb, Db } from '../db/knex';
import { embeddedPostgresUrl } from '../dev/embeddedPostgres';
import { formatIssues } from '../domain/issues';
import { DomainError } from '../services/errors';
import { connectClient } from '../temporal/client';
import { stewardDataConverter } from '../temporal/codec';

/**
 * The operator CLI as a table: each command is one entry with its words, its flags (one zod rule per
 * flag) and its `run`. The runner picks the entry, parses exactly that entry's flags and names the
 * flag and the rule when one is bad. A new command is one more `command(...)` in a table.
 */
export interface Command<S extends z.ZodRawShape = z.ZodRawShape> {
  /** The words that name it, e.g. 'org create'. */
  name: string;
  /** Its flags as `help` shows them, e.g. '--id <id> [--name <name>]'. */
  usage: string;
  /** What it does, in one line. */
  summary: string;
  /**
   * One zod rule per flag, keyed by the flag's name without dashes. A z.boolean() rule makes a
   * switch (--no-callback-url), a z.array() rule a flag that may be repeated; others take a value.
   */
  flags: S;
  /** Does the work with the validated flags; throws UsageError (or DomainError) for a clear refusal. */
  run(flags: z.output<z.ZodObject<S>>, config: Config): Promise<void>;
}

/**
 * Declares a command: its synopsis as `help` shows it (the words that name it, then its flags:
 * 'org show --id <id>'), what it does, its flags' rules and `run`, which those rules type.
 */
export function command<S extends z.ZodRawShape>(synopsis: string, summary: string, flags: S, run: Command<S>['run']): Command {
  const words = synopsis.split(' ');
  const named = words.findIndex((w) => /^[-[<]/.test(w));
  const name = (named === -1 ? words : words.slice(0, named)).join(' ');
  return { name, usage: synopsis.slice(name.length).trim(), summary, flags, run } as unknown as Command;
}

/** A refusal the operator can fix: printed as `error: <message>`, exit code 2. */
export class UsageError extends Error {}

/** A flag that must be given and not be blank; `what` says what it holds. */
export const required = (what: string) => z.string({ error: `is required (${what})` }).trim().min(1, `is required (${what})`);

/** Runs `fn` with a small pool on Steward's database (DATABASE_URL, else the embedded one of `npm start`). */
export async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const url = config.databaseUrl ?? embeddedPostgresUrl(config.embeddedPostgresPort, 'steward');
  const db = createDb(url, { max: 2 });
  try {
    await db.raw('select 1').catch((err) => {
      throw new UsageError(`cannot reach PostgreSQL at ${url.replace(/:[^:@]+@/, ':***@')} (${err.message}). Is \`npm start\` running, or DATABASE_URL set?`);
    });
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** Runs `fn` with a Temporal client (TEMPORAL_ADDRESS, else the dev server of `npm start`). */
export async function withTemporal<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const address = config.temporal.address ?? `localhost:${config.temporal.devPort}`;
  const client = await connectClient({ address, namespace: config.temporal.namespace, dataConverter: stewardDataConverter(config) }).catch((err: Error) => {
    throw new UsageError(`cannot reach Temporal at ${address} (${err.message}). Is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
  });
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

/** parseArgs' option for a flag rule: switch, repeatable or single value. */
function optionOf(rule: z.ZodType): { type: 'string' | 'boolean'; multiple?: boolean } {
  let inner = rule;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodBoolean) return { type: 'boolean' };
  if (inner instanceof z.ZodArray) return { type: 'string', multiple: true };
  return { type: 'string' };
}

/** The command whose words start `argv`, the longest such name winning. */
function find(commands: Command[], argv: string[]): Command | undefined {
  const matches = commands.filter((c) => c.name.split(' ').every((w, i) => argv[i] === w));
  return matches.sort((a, b) => b.name.length - a.name.length)[0];
}

function usageOf(c: Command): string {
  return `  ${c.name} ${c.usage}`.trimEnd() + `\n      ${c.summary}`;
}

export function helpText(commands: Command[], intro: string, footer: string): string {
  return `${intro}\n\n${commands.map(usageOf).join('\n')}\n\n${footer}`;
}

/**
 * Runs the command `argv` names. `help` (or no command, or --help) prints the table; `help <command>`
 * or `<command> --help` that command's flags.
 */
export async function runCommand(commands: Command[], argv: string[], help: string): Promise<void> {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag === -1 ? argv : argv.slice(0, firstFlag);
  if (words.length === 0 || words[0] === 'help') {
    const c = find(commands, words.slice(1));
    console.log(c ? `Usage: npm run admin -- ${usageOf(c).trimStart()}` : help);
    return;
  }
  const c = find(commands, argv);
  if (!c) throw new UsageError(`unknown command "${words.join(' ')}"\n\n${help}`);
  const rules = c.flags as Record<string, z.ZodType>;
  const options = Object.fromEntries(Object.entries(rules).map(([flag, rule]) => [flag, optionOf(rule)]));
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv.slice(c.name.split(' ').length), options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\nUsage: npm run admin -- ${usageOf(c).trimStart()}`);
  }
  if (values.help) {
    console.log(`Usage: npm run admin -- ${usageOf(c).trimStart()}`);
    return;
  }
  const parsed = z.object(rules).safeParse(values);
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error.issues, (path) => `--${String(path[0])}`, '\n'));
  await c.run(parsed.data, loadConfig());
}

/** The process around `runCommand`: clear one-line refusals with exit code 2, the stack for the unexpected. */
export function main(commands: Command[], help: string): void {
  runCommand(commands, process.argv.slice(2), help).then(
    () => process.exit(0),
    (err) => {
      if (err instanceof UsageError || err instanceof DomainError || err instanceof ConfigError) console.error(`error: ${err.message}`);
      else console.error(err);
      process.exit(2);
    },
  );
}
