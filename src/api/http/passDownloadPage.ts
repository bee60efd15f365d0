/**
 * The download page of a pass link opened on a computer (or any browser that is neither iOS nor
 * Android): the pass's title and issuer, and one button per wallet. Self-contained (inline CSS, no
 * CDN, no script). The buttons follow Apple's and Google's badge rules in spirit: black, their
 * wording ("Add to Apple Wallet", "Save to Google Wallet"), not restyled artwork.
 */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface PageInfo {
  passDesignTitle: string;
  issuingOrganisation: string;
  serialNumber: string;
  reason: string | null;
  wallets: ('Apple' | 'Google')[];
}

export function downloadPage(requestUrl: string, details: string, p: PageInfo): string {
  const base = `${requestUrl.split('?')[0]}?details=${encodeURIComponent(details)}`;
  const buttons = [
    p.wallets.includes('Apple') ? `<a class="wallet apple" id="add-to-apple-wallet" href="${escape(base)}&amp;deviceOS=Apple" download="${escape(p.serialNumber)}.pkpass">Add to Apple Wallet</a>` : '',
    p.wallets.includes('Google') ? `<a class="wallet google" id="save-to-google-wallet" href="${escape(base)}&amp;deviceOS=Google">Save to Google Wallet</a>` : '',
  ].join('\n    ');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(p.passDesignTitle)}</title>
  <style>
    body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; background: #f4f5f7; color: #1d1d1f; }
    main { max-width: 28rem; margin: 4rem auto; background: #fff; border-radius: 16px; padding: 2rem; box-shadow: 0 2px 12px rgba(0,0,0,.08); text-align: center; }
    h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
    .issuer { color: #555; margin: 0 0 1.5rem; }
    .message { margin: 0 0 1.5rem; }
    .reason { color: #b00020; font-weight: 600; }
    .wallet { display: block; margin: .75rem auto; max-width: 18rem; padding: .85rem 1rem; border-radius: 10px; background: #000; color: #fff;
              text-decoration: none; font-weight: 600; font-size: 1.05rem; }
    .wallet:focus, .wallet:hover { outline: 3px solid #4a90e2; }
  </style>
</head>
<body>
  <main>
    <h1>${escape(p.passDesignTitle)}</h1>
    <p class="issuer">Issued by ${escape(p.issuingOrganisation)} &middot; pass ${escape(p.serialNumber)}</p>
    ${p.reason
      ? `<p class="message reason">${escape(p.reason)}</p>`
      : `<p class="message">Add it to ${p.wallets.map((w) => `${w} Wallet`).join(' or ')}.</p>
    ${buttons}`}
  </main>
</body>
</html>`;
}
