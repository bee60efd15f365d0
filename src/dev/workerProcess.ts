import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The worker's heap cap, as `npm run worker` sets it (package.json): keeps its RSS near 260 MB on 100,000-row batches. */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=192'];

/** Resets a live process's peak resident memory (VmHWM) to its current RSS; Linux only. */
export function resetPeakRss(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Peak resident memory (VmHWM) of a live process, in MB; Linux only. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** What to run: `npm run worker` (the default) or another entry point, and the log line that says it is ready. */
export interface ServiceEntry {
  entry: string;
  ready: string;
  flags: string[];
}

export const WORKER_ENTRY: ServiceEntry = { entry: 'src/bin/worker.ts', ready: 'worker started', flags: WORKER_NODE_FLAGS };
export const API_ENTRY: ServiceEntry = { entry: 'src/bin/api.ts', ready: 'API listening', flags: [] };

/**
 * `npm run worker` as a separate OS process (same entry point as production), so a test or benchmark can
 * kill it with SIGKILL mid-job and start another. With API_ENTRY, `npm run api` the same way.
 */
export class WorkerProcess {
  private child?: ChildProcess;
  output = '';

  constructor(
    private readonly env: Record<string, string>,
    private readonly service: ServiceEntry = WORKER_ENTRY,
  ) {}

  /** Starts the process and resolves once it logs that it is ready (a worker: polling its task queue). */
  async start(): Promise<void> {
    const { entry, ready, flags } = this.service;
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', entry], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${entry} did not start in 60 s:\n${this.output.slice(-2000)}`)), 60_000);
      const onData = (c: Buffer) => {
        this.output = (this.output + c.toString()).slice(-20_000);
        if (this.output.includes(ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited with ${code}:\n${this.output.slice(-2000)}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Kills the whole process group with SIGKILL: no shutdown, no cleanup, as a crash would. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, signal);
    await exited;
  }
}
