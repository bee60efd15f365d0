import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The worker's heap cap, as `npm run worker` sets it (package.json): keeps its RSS flat from 100,000 to 1,000,000-row batches (WORKER_MAX_OLD_SPACE_MB). */
export const WORKER_NODE_FLAGS = [`--max-old-space-size=${process.env.WORKER_MAX_OLD_SPACE_MB || 192}`];

/**
 * The API's heap cap, as `npm run api` sets it by default (API_MAX_OLD_SPACE_MB): its live heap is
 * ~60 MB, but without a cap V8 let garbage promoted while staging a 1,000,000-row upload pile up
 * in the old generation (RSS +30-45% against a 100,000-row upload); capped it stays within ~15% (128 MB:
 * +6-17%, 192: +7-14%), and 192 keeps most of the write throughput that 128 cost (README).
 */
export const API_NODE_FLAGS = [`--max-old-space-size=${process.env.API_MAX_OLD_SPACE_MB || 192}`];

/** Resets a live process's peak resident memory (VmHWM) to its current RSS, to measure one job; Linux only. */
export function resetPeakRss(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Peak resident memory (VmHWM) of a live process, in MB; Linux only. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export interface ServiceProcessOptions {
  /** Entry point under the repository root, e.g. `src/bin/api.ts`. */
  entry: string;
  /** Text of the log line that says the service is up. */
  ready: string;
  nodeFlags?: string[];
}

/**
 * One of Steward's entry points (`npm run worker`, `npm run api`) as a separate OS process, so a
 * test or benchmark can kill it with SIGKILL mid-job and start another.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  output = '';
  /** Called with every chunk the process writes (stdout and stderr), for tests that keep all of it. */
  onOutput?: (chunk: string) => void;

  constructor(
    private readonly env: Record<string, string>,
    private readonly opts: ServiceProcessOptions,
  ) {}

  /** Starts the process and resolves once it logged its ready line. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [...(this.opts.nodeFlags ?? []), '--import', 'tsx', this.opts.entry], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    const name = path.basename(this.opts.entry, '.ts');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in 60 s:\n${this.output.slice(-2000)}`)), 60_000);
      const onData = (c: Buffer) => {
        this.onOutput?.(c.toString());
        this.output = (this.output + c.toString()).slice(-20_000);
        if (this.output.includes(this.opts.ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code}:\n${this.output.slice(-2000)}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Started and not exited. */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills the whole process group (SIGKILL: no shutdown, no cleanup, as a crash would) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, signal);
    await exited;
  }
}

/** `npm run worker` as its own process; resolves `start()` once it polls its task queue. */
export class WorkerProcess extends ServiceProcess {
  constructor(env: Record<string, string>) {
    super(env, { entry: 'src/bin/worker.ts', ready: 'worker started', nodeFlags: WORKER_NODE_FLAGS });
  }
}

/** `npm run api` as its own process; resolves `start()` once it listens. */
export class ApiProcess extends ServiceProcess {
  constructor(env: Record<string, string>) {
    super(env, { entry: 'src/bin/api.ts', ready: 'API listening on', nodeFlags: API_NODE_FLAGS });
  }
}
