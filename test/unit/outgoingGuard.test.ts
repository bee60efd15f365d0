import crypto from 'node:crypto';
import net from 'node:net';
import { TwilioSmsTransport } from '../../src/notifications/sms';
import { ApnsClient } from '../../src/wallet/apple/apns';
import { GoogleWalletApi } from '../../src/wallet/google/walletApi';

/**
 * Security finding 1, for the outgoing integrations that come from configuration (SMS provider,
 * APNs, Google Wallet API): unless CALLBACK_ALLOW_PRIVATE, a loopback or private destination is
 * refused before any connection. A real TCP server counts the connections that reach it.
 */
describe('outgoing integrations refuse private destinations', () => {
  let server: net.Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (connections = 0));

  const message = { messageId: 'm1', recipient: '+447700900123', subject: null, text: 'hi', html: null };
  const sms = (url: string, allowPrivate: boolean) => new TwilioSmsTransport({ url, accountSid: 'AC1', authToken: 't', from: '+15005550006', allowPrivate });

  it.each([`http://127.0.0.1:PORT`, `http://[::ffff:127.0.0.1]:PORT`, `http://localhost:PORT`])('SMS provider %s: refused, not retried, nothing sent', async (raw) => {
    const outcome = await sms(raw.replace('PORT', String(port)), false).send(message);
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/private|loopback/) });
    expect(connections).toBe(0);
  });

  it('APNs at a loopback APNS_URL: refused before connecting', async () => {
    const key = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const apns = new ApnsClient({ url: `https://[::ffff:127.0.0.1]:${port}`, key, keyId: 'K1', teamId: 'T1', allowPrivate: false });
    const result = await apns.push('device-token', 'pass.io.steward.acme');
    expect(result.status).toBe(0);
    expect(result.reason).toMatch(/private/);
    expect(connections).toBe(0);
  });

  it('Google Wallet API at a loopback GOOGLE_WALLET_API_URL: refused before connecting', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const account = { clientEmail: 'sa@example.iam.gserviceaccount.com', privateKey, tokenUri: `http://127.0.0.1:${port}/token`, issuerId: '3388000000000000000', development: true };
    const google = new GoogleWalletApi({ account, apiUrl: `http://127.0.0.1:${port}/walletobjects/v1`, tokenUrl: `http://127.0.0.1:${port}/token`, allowPrivate: false });
    const result = await google.patchObject('3388000000000000000.S1', { state: 'EXPIRED' });
    expect(result).toMatchObject({ status: 0, error: expect.stringMatching(/private/) });
    expect(connections).toBe(0);
  });
});
