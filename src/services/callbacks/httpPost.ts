import http from 'node:http';
import https from 'node:https';
import { BlockedAddressError, checkCallbackUrl, guardedLookup } from './addressGuard';

export interface PostResult {
  status: number;
  /** First bytes of the response body, for the attempt log. */
  bodySnippet: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}

/**
 * POSTs a JSON body. Never follows redirects (a 3xx is just a non-2xx answer), gives up after
 * `timeoutMs`, and connects only to addresses the SSRF guard accepts, checked at connect time.
 */
export async function postJson(rawUrl: string, body: string, opts: PostOptions): Promise<PostResult> {
  const url = checkCallbackUrl(rawUrl, opts.allowPrivate);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Steward-Webhooks/1.0', ...opts.headers, 'content-length': Buffer.byteLength(body) },
        lookup: guardedLookup(opts.allowPrivate),
        timeout: opts.timeoutMs,
      },
      (res) => {
        let snippet = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (snippet.length < 512) snippet += chunk.slice(0, 512 - snippet.length);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bodySnippet: snippet }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${opts.timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export { BlockedAddressError };
