import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

/**
 * A real HTTP server standing in for Google: the OAuth token endpoint (JWT bearer grant, the
 * assertion verified with the service account's public key) and the Wallet REST API's
 * `PATCH /walletobjects/v1/genericObject/<id>` (bearer token required). Records what arrived.
 */
export class GoogleWalletApiServer {
  readonly patches: { objectId: string; body: any; authorization?: string }[] = [];
  readonly tokenRequests: { assertionClaims: Record<string, unknown> }[] = [];
  private server: http.Server | undefined;
  private readonly tokens = new Set<string>();
  url = '';

  constructor(private readonly serviceAccountPublicKey: crypto.KeyObject) {}

  get apiUrl() {
    return `${this.url}/walletobjects/v1`;
  }
  get tokenUrl() {
    return `${this.url}/token`;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString();
        const send = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        if (req.method === 'POST' && req.url === '/token') {
          const form = new URLSearchParams(body);
          try {
            if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('grant_type');
            const { payload } = await jwtVerify(form.get('assertion') ?? '', this.serviceAccountPublicKey, { audience: this.tokenUrl });
            this.tokenRequests.push({ assertionClaims: payload });
            const token = crypto.randomBytes(16).toString('hex');
            this.tokens.add(token);
            send(200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
          } catch (err) {
            send(400, { error: 'invalid_grant', error_description: (err as Error).message });
          }
          return;
        }
        const m = /^\/walletobjects\/v1\/genericObject\/([^/?]+)$/.exec(req.url ?? '');
        if (req.method === 'PATCH' && m) {
          const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
          if (!bearer || !this.tokens.has(bearer)) return send(401, { error: { code: 401, message: 'Request had invalid authentication credentials.' } });
          const objectId = decodeURIComponent(m[1]);
          this.patches.push({ objectId, body: JSON.parse(body), authorization: req.headers.authorization });
          return send(200, { id: objectId, ...JSON.parse(body) });
        }
        send(404, { error: { code: 404, message: 'not found' } });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
