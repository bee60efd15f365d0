import crypto from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from './tlsCert';

export interface ApnsRequest {
  method: string;
  path: string;
  deviceToken: string;
  headers: http2.IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real HTTP/2 TLS server speaking APNs' provider API (`POST /3/device/<token>`), standing at
 * APNS_URL in tests and benchmarks. It records every request; `answers` scripts per device token
 * the statuses to give (then 200), e.g. `[410]` for an uninstalled pass or `[500, 503]` to fail twice.
 */
export class ApnsTestServer {
  readonly requests: ApnsRequest[] = [];
  readonly answers = new Map<string, number[]>();
  private server: http2.Http2SecureServer | undefined;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  readonly tls = selfSignedCert();
  url = '';

  async start(): Promise<string> {
    const server = http2.createSecureServer({ key: this.tls.keyPem, cert: this.tls.certPem, settings: { maxConcurrentStreams: 1000 } });
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const path = String(headers[':path']);
        const deviceToken = decodeURIComponent(path.replace(/^\/3\/device\//, ''));
        this.requests.push({ method: String(headers[':method']), path, deviceToken, headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
        const status = this.answers.get(deviceToken)?.shift() ?? 200;
        const reason = { 410: 'Unregistered', 500: 'InternalServerError', 503: 'ServiceUnavailable', 400: 'BadDeviceToken', 429: 'TooManyRequests' }[status];
        stream.respond({ ':status': status, 'apns-id': crypto.randomUUID(), ...(reason ? { 'content-type': 'application/json' } : {}) });
        stream.end(reason ? JSON.stringify({ reason, ...(status === 410 ? { timestamp: Date.now() } : {}) }) : undefined);
      });
      stream.on('error', () => {});
    });
    server.on('sessionError', () => {});
    server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  pushesTo(deviceToken: string): ApnsRequest[] {
    return this.requests.filter((r) => r.deviceToken === deviceToken);
  }

  /** Closes the server and the clients' sessions (a pusher keeps its connection open, as APNs wants). */
  close(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
