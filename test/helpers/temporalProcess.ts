import { ChildProcess, spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../../src/dev/temporalCli';
import { STEWARD_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

/**
 * A Temporal dev server (`temporal server start-dev`) as a plain child process on a fixed port and
 * SQLite file, so a fault test can SIGKILL it and start it again on the same state
 * (src/dev/localTemporal.ts goes through the SDK, which only stops it gracefully).
 */
export class TemporalProcess {
  private child?: ChildProcess;
  output = '';

  constructor(readonly opts: { port: number; dbFilename: string }) {}

  get address(): string {
    return `127.0.0.1:${this.opts.port}`;
  }

  /** Starts the server and resolves once its frontend reports SERVING. */
  async start(): Promise<void> {
    const cli = await resolveTemporalCli();
    if (!cli) throw new Error('no temporal CLI (npm run tools)');
    const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(this.opts.port), '--db-filename', this.opts.dbFilename, '--log-format', 'json', '--log-level', 'warn'];
    for (const a of STEWARD_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${a.name}=Keyword`);
    const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (c: Buffer) => (this.output = (this.output + c.toString()).slice(-10_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode}:\n${this.output.slice(-2000)}`);
      if (await this.serving()) return;
      if (Date.now() > deadline) throw new Error(`temporal dev server not serving within 60 s:\n${this.output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async serving(): Promise<boolean> {
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ address: this.address, connectTimeout: 1000 });
      const res = await conn.withDeadline(Date.now() + 1000, () => conn!.healthService.check({}));
      return res.status === 1;
    } catch {
      return false;
    } finally {
      await conn?.close().catch(() => undefined);
    }
  }

  /** SIGKILL (a crash: nothing flushed, no goodbye) or SIGTERM; waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
}
