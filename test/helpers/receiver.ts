import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: string;
  at: number;
}

/**
 * A real HTTP server standing in for an integrator's callback endpoint. `respond` decides each
 * answer (default 200; 'hang': never answer; may first await something, e.g. a fault), so tests can script failures; every request is recorded.
 */
export class CallbackReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (req: ReceivedRequest, index: number) => number | 'hang' | Promise<number | 'hang'> = () => 200;
  private server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', async () => {
      const r: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
        body,
        at: Date.now(),
      };
      this.requests.push(r);
      const status = await this.respond(r, this.requests.length - 1);
      if (status === 'hang') return void (this.waiters = this.waiters.filter((w) => !w()));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
      this.waiters = this.waiters.filter((w) => !w());
    });
  });
  private waiters: (() => boolean)[] = [];

  /** Listens on `port` (default: any free one) and returns the base URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves when `predicate` holds for the recorded requests (checked after each request). */
  waitFor(predicate: (reqs: ReceivedRequest[]) => boolean, timeoutMs = 60_000): Promise<ReceivedRequest[]> {
    return new Promise((resolve, reject) => {
      if (predicate(this.requests)) return resolve(this.requests);
      const timer = setTimeout(() => reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`)), timeoutMs);
      this.waiters.push(() => {
        if (!predicate(this.requests)) return false;
        clearTimeout(timer);
        resolve(this.requests);
        return true;
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
