import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';

/** The files of a .pkpass (a zip), by name. */
export function unzip(buffer: Buffer): Promise<Record<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const files: Record<string, Buffer> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files[entry.fileName] = Buffer.concat(chunks);
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

export const sha1 = (b: Buffer) => crypto.createHash('sha1').update(b).digest('hex');

/** A manifest as Wallet checks it: every file but manifest.json and signature, with its SHA-1. */
export function manifestOf(files: Record<string, Buffer>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([n]) => n !== 'manifest.json' && n !== 'signature').map(([n, b]) => [n, sha1(b)]));
}

/**
 * `openssl smime -verify -inform DER -binary -content manifest.json -CAfile <CA>` as a real process:
 * the detached PKCS#7 signature over the manifest, chained to the CA through the certificates it carries.
 */
export function opensslVerify(signature: Buffer, manifest: Buffer, caPem: string): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkpass-verify-'));
  try {
    fs.writeFileSync(path.join(dir, 'signature'), signature);
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifest);
    fs.writeFileSync(path.join(dir, 'ca.pem'), caPem);
    const r = spawnSync('openssl', ['smime', '-verify', '-inform', 'DER', '-binary', '-in', 'signature', '-content', 'manifest.json', '-CAfile', 'ca.pem', '-out', '/dev/null'], { cwd: dir, encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
