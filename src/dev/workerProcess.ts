import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The worker's heap cap, as `npm run worker` sets it (package.json): keeps its RSS near 260 MB on 100,000-row batches. */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=192'];

/** Peak resident memory (VmHWM) of a live process, in MB; Linux only. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/**
 * `npm run worker` as a separate OS process (same entry point as production), so a test or benchmark can
 * kill it with SIGKILL mid-job and start another.
 */
export class WorkerProcess {
  private child?: ChildProcess;
  output = '';

  constructor(private readonly env: Record<string, string>) {}

  /** Starts the worker and resolves once it polls its task queue. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', 'src/bin/worker.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${this.output.slice(-2000)}`)), 60_000);
      const onData = (c: Buffer) => {
        this.output = (this.output + c.toString()).slice(-20_000);
        if (this.output.includes('worker started')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited with ${code}:\n${this.output.slice(-2000)}`));
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
