import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** `npm start` (src/bin/start.ts) as a process, with the environment a new user would have: nothing of the test servers. */
export class StartProcess {
  child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>, opts: { cwd?: string } = {}) {
    const { TEMPORAL_ADDRESS: _t, DATABASE_URL: _d, WORKER_METRICS_URL: _w, TEMPORAL_METRICS_BIND_ADDRESS: _m, TEMPORAL_TASK_QUEUE: _q, STEWARD_DATA_DIR: _s, ...base } = process.env;
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/start.ts'], {
      cwd: opts.cwd ?? ROOT,
      env: { ...base, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once it printed "Steward is running"; rejects if it exits first. */
  running(timeoutMs = 240_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start not running within ${timeoutMs} ms:\n${this.stderr.slice(-2000)}`)), timeoutMs);
      const check = () => {
        if (this.stdout.includes('Steward is running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.child.stdout!.on('data', check);
      check();
      this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code}:\n${this.stdout}\n${this.stderr.slice(-3000)}`));
      });
    });
  }

  /** Ctrl-C, and the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    return this.exited;
  }

  /** Everything it wrote, stdout and stderr, as lines. */
  lines(): string[] {
    return `${this.stdout}${this.stderr}`.split('\n').filter((l) => l.trim() !== '');
  }
}

/** Processes (other than this one) whose command line mentions `text`: what a start left running. */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text)) found.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
