import { backoffMs } from '../../src/notifications/delivery';
import { classifySmtpError, mailDomain } from '../../src/notifications/email';
import { unseal } from '../../src/notifications/sealedParams';
import { BUILT_IN_TEMPLATES, escapeHtml, renderTemplate, TemplateError, textToHtml } from '../../src/notifications/templates';

const params = {
  deliverySalutation: 'Dear',
  deliveryName: 'Jo <b>"Bold"</b> & Co',
  passDownloadLink: 'https://steward.example/pass-download?details=a&b',
  passDesignTitle: 'Gym',
  organisationName: 'Acme',
};

describe('pass delivery templates', () => {
  it('renders email-default: greeting, link in text and as a link in HTML, every value escaped in HTML', () => {
    const r = renderTemplate(BUILT_IN_TEMPLATES['email-default'], 'Email', params);
    expect(r.subject).toBe('Your Gym from Acme');
    expect(r.text).toBe(
      'Dear Jo <b>"Bold"</b> & Co,\n\nAcme has sent you a Gym.\nOpen this link on your phone to add it to Apple Wallet or Google Wallet:\nhttps://steward.example/pass-download?details=a&b\n\nSent by Acme with Steward.',
    );
    expect(r.html).toContain('<p>Dear Jo &lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; Co,</p>');
    expect(r.html).toContain('<a href="https://steward.example/pass-download?details=a&amp;b">https://steward.example/pass-download?details=a&amp;b</a>');
    expect(r.html).not.toContain('<b>');
  });

  it("keeps the template's <br/> line breaks, escapes its other markup, and adds the link when the template omits it", () => {
    const t = { title: 'x', type: 'Email', subject: '{{passDesignTitle}}\nfor {{deliveryName}}', preheader: '', body: 'Line one<br/>Line <i>two</i>', footer: '', imageURL: 'javascript:alert(1)' };
    const r = renderTemplate(t, 'Email', params);
    expect(r.subject).toBe('Gym for Jo <b>"Bold"</b> & Co');
    expect(r.text).toContain('Line one\nLine two');
    expect(r.text).toContain(params.passDownloadLink);
    expect(r.html).toContain('Line one<br/>Line &lt;i&gt;two&lt;/i&gt;');
    expect(r.html).toContain('>Add to wallet</a>');
    expect(r.html).not.toContain('javascript:'); // only http(s) images
  });

  it('renders sms-default as text only; refuses a template of the other kind with the reason', () => {
    const sms = renderTemplate(BUILT_IN_TEMPLATES['sms-default'], 'SMS', params);
    expect(sms).toEqual({ subject: null, html: null, text: `Dear Jo <b>"Bold"</b> & Co,\nAcme: your Gym is ready. Add it to your wallet: ${params.passDownloadLink}` });
    expect(() => renderTemplate(BUILT_IN_TEMPLATES['sms-default'], 'Email', params)).toThrow(
      new TemplateError('deliveryTemplate "sms-default" is of type SMS; deliveryMethod Email needs an Email template (e.g. email-default)'),
    );
  });

  it('leaves unknown placeholders as written; text to HTML links URLs', () => {
    expect(renderTemplate({ ...BUILT_IN_TEMPLATES['sms-default'], body: '{{nope}} {{ passDesignTitle }}' }, 'SMS', {}).text).toBe('{{nope}}');
    expect(textToHtml('see https://x.test/a?b=1&c=2\nnext')).toContain('<a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a><br/>next');
    expect(escapeHtml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
    expect(unseal('code {{oneTimeCode}} {{other}}', { oneTimeCode: '123456' })).toBe('code 123456 {{other}}');
  });
});

describe('delivery rules', () => {
  it('retries SMTP 4xx and network errors, fails 5xx for good', () => {
    expect(classifySmtpError(Object.assign(new Error('x'), { responseCode: 451, response: '451 4.3.0 later', command: 'DATA' }))).toEqual({ ok: false, retryable: true, error: 'SMTP 451 at DATA: 451 4.3.0 later' });
    expect(classifySmtpError(Object.assign(new Error('x'), { responseCode: 550, response: '550 no such user', command: 'RCPT TO' }))).toMatchObject({ retryable: false });
    expect(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' }))).toEqual({ ok: false, retryable: true, error: 'SMTP ESOCKET: connect ECONNREFUSED' });
  });

  it('backs off exponentially from 1 s to at most 1 h; Message-IDs use the From domain', () => {
    expect([1, 2, 3, 10, 20].map(backoffMs)).toEqual([1000, 2000, 4000, 512_000, 3_600_000]);
    expect(mailDomain('Steward <no-reply@mail.acme.example>')).toBe('mail.acme.example');
    expect(mailDomain('ops@acme.example')).toBe('acme.example');
  });
});
