import crypto from 'node:crypto';
import { FlattenedEncrypt } from 'jose';
import { dciKeys } from '../../src/services/dci/keys';
import { envelopeDigest, formatSignature, signingString } from '../../src/services/dci/signature';
import { createSender, envelope, expr, post, searchMessage, TestSender } from '../helpers/dciClient';
import { Harness, startHarness } from '../helpers/harness';

/**
 * Security finding 4: DCI replay. A signature had no maximum lifetime, message_ts was never
 * checked, a replayed sync search ran again, and any JWE algorithm jose knows was accepted.
 */
describe('DCI replay and algorithm pinning (finding 4)', () => {
  let h: Harness;
  let sender: TestSender;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    sender = await createSender(h.deps);
  });
  afterAll(() => h.close());

  const message = () => searchMessage('dr', [{ query: expr({ $and: [{ poverty_score: { $gt: 1000 } }] }) }]);

  /** Signs {header, message} with a chosen created/expires, the way a sender (or an attacker with an old capture) would. */
  function signAt(header: unknown, msg: unknown, created: number, expires: number): string {
    const data = Buffer.from(signingString(created, expires, envelopeDigest(header, msg)));
    const signature = crypto.sign(null, data, sender.signingKey).toString('base64');
    return formatSignature({ kidId: `${sender.id}|${sender.keyId}|ed25519`, algorithm: 'ed25519', created, expires, signature });
  }

  /** Async paths refuse with an ERR acknowledgement, sync ones with their reply envelope (status rjct); both carry `errors`. */
  const refusedWith = (res: { status: number; body: any }, status: number, code: string, reason: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.body.errors?.[0]).toMatchObject({ code, message: expect.stringMatching(reason) });
    if (res.body.message) expect(res.body.message).toMatchObject({ ack_status: 'ERR', error: { code } });
    else expect(res.body.header).toMatchObject({ status: 'rjct' });
  };

  it('refuses a signature created 5 years ago that expires in 15 (lifetime above the 300 s maximum)', async () => {
    const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message() });
    const now = Math.floor(Date.now() / 1000);
    const signature = signAt(body.header, body.message, now - 5 * 365 * 86_400, now + 15 * 365 * 86_400);
    refusedWith(await post(h.baseUrl, 'dr', 'sync/search', { ...body, signature }), 401, 'err.signature.invalid', /lifetime .* exceeds the maximum of 300 s/);
  });

  it.each([
    ['an hour old', -3_600_000],
    ['ten minutes ahead', 600_000],
  ])('refuses a message_ts %s with rjct.message_ts.invalid', async (_label, offset) => {
    const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message() });
    const header = { ...body.header, message_ts: new Date(Date.now() + offset).toISOString() };
    const now = Math.floor(Date.now() / 1000);
    const signature = signAt(header, body.message, now, now + 300);
    refusedWith(await post(h.baseUrl, 'dr', 'sync/search', { ...body, header, signature }), 400, 'err.request.bad', /rjct\.message_ts\.invalid: header\.message_ts/);
  });

  it('a replayed sync search is refused, not run again', async () => {
    const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message() });
    const first = await post(h.baseUrl, 'dr', 'sync/search', body);
    expect(first.status).toBe(200);
    expect(first.body.message.search_response).toBeDefined();
    refusedWith(await post(h.baseUrl, 'dr', 'sync/search', body), 400, 'err.request.bad', /rjct\.message_id\.duplicate/);
    const rows = await h.deps.db('dci_transactions').where({ sender_id: sender.id, message_id: body.header.message_id });
    expect(rows).toHaveLength(1);
  });

  it.each([
    ['ECDH-ES+A128KW', 'A128GCM'],
    ['ECDH-ES+A256KW', 'A128CBC-HS256'],
  ])('refuses an encrypted message with alg %s / enc %s (only ECDH-ES+A256KW or RSA-OAEP-256 with A256GCM)', async (alg, enc) => {
    const keys = dciKeys(h.deps.config);
    const plain = message();
    const jwe = await new FlattenedEncrypt(new TextEncoder().encode(JSON.stringify(plain)))
      .setUnprotectedHeader({ alg, enc, kid: keys.encryption.kid })
      .encrypt(crypto.createPublicKey(keys.encryption.privateKey));
    const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: plain, encrypt: true });
    const now = Math.floor(Date.now() / 1000);
    const signature = signAt(body.header, jwe, now, now + 300);
    refusedWith(await post(h.baseUrl, 'dr', 'sync/search', { ...body, message: jwe, signature }), 400, 'err.encryption.invalid', /not allowed|algorithm/i);
  });
});
