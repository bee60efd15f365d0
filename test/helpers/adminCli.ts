import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AdminResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real operator CLI (`npm run admin -- ...`) as a process, with extra environment. */
export function adminCli(env: Record<string, string> = {}) {
  return (...args: string[]): Promise<AdminResult> =>
    run(process.execPath, ['--import', 'tsx', 'src/bin/admin.ts', ...args], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: AdminResult) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
}

/** A result that must have succeeded: a failure throws with what the CLI printed, so the test says why. */
export function succeeded(r: AdminResult): AdminResult {
  if (r.code !== 0) throw new Error(`the admin CLI exited with ${r.code}:\n${r.stderr || r.stdout}`);
  return r;
}
