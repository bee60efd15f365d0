import fs from 'node:fs';
import { ConfigError } from '../config';

/**
 * A key or certificate given in a variable: the PEM (or JSON) text itself, or the path of a file
 * holding it. Errors name the variable.
 */
export function textOrFile(variable: string, value: string, kind: 'PEM' | 'JSON'): string {
  const trimmed = value.trim();
  if (kind === 'PEM' && trimmed.startsWith('-----BEGIN')) return trimmed.replace(/\\n/g, '\n');
  if (kind === 'JSON' && trimmed.startsWith('{')) return trimmed;
  try {
    return fs.readFileSync(trimmed, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${variable}: must be ${kind === 'PEM' ? 'a PEM' : 'a JSON key'} or the path of a readable file holding one (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}: ${trimmed.slice(0, 80)})`);
  }
}

export function configError(variable: string, rule: string): ConfigError {
  return new ConfigError(`Invalid configuration:\n  ${variable}: ${rule}`);
}
