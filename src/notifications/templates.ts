/**
 * Pass delivery templates (seed 003's PassDeliveryTemplate) rendered into messages. Placeholders
 * are `{{name}}`; their values are HTML-escaped in the HTML part. A template's body and footer are
 * text in which the only markup honoured is the line break (`<br/>`), as the seed describes.
 */

export const PLACEHOLDERS = [
  'deliverySalutation', 'deliveryName', 'passDownloadLink', 'passDesignTitle', 'organisationName', 'serialNumber', 'externalReferenceID',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateParams = Partial<Record<Placeholder, string>>;

export interface DeliveryTemplate {
  title: string;
  type: string; // Email | SMS | iMessage | WhatsApp
  subject: string;
  preheader: string;
  body: string;
  footer: string;
  imageURL: string;
}

export interface RenderedMessage {
  subject: string | null;
  text: string;
  html: string | null;
}

/** Built-in templates every organisation has (an organisation's own template of the same title wins). */
export const BUILT_IN_TEMPLATES: Record<string, DeliveryTemplate> = {
  'email-default': {
    title: 'email-default',
    type: 'Email',
    subject: 'Your {{passDesignTitle}} from {{organisationName}}',
    preheader: 'Add your {{passDesignTitle}} to your wallet',
    body: '{{organisationName}} has sent you a {{passDesignTitle}}.<br/>Open this link on your phone to add it to Apple Wallet or Google Wallet:<br/>{{passDownloadLink}}',
    footer: 'Sent by {{organisationName}} with Steward.',
    imageURL: '',
  },
  'sms-default': {
    title: 'sms-default',
    type: 'SMS',
    subject: '',
    preheader: '',
    body: '{{organisationName}}: your {{passDesignTitle}} is ready. Add it to your wallet: {{passDownloadLink}}',
    footer: '',
    imageURL: '',
  },
};

export const DEFAULT_TEMPLATE: Record<'Email' | 'SMS', string> = { Email: 'email-default', SMS: 'sms-default' };

export class TemplateError extends Error {}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
const BR = /<br\s*\/?>/gi;

function fill(text: string, params: TemplateParams, encode: (s: string, name: Placeholder) => string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? encode(params[name as Placeholder] ?? '', name as Placeholder) : whole,
  );
}

/** A value in HTML: escaped; the download link as a link. */
function htmlValue(value: string, name: Placeholder): string {
  return name === 'passDownloadLink' && /^https?:\/\//.test(value) ? `<a href="${escapeHtml(value)}">${escapeHtml(value)}</a>` : escapeHtml(value);
}

/** Text part: line breaks become newlines, any other markup is dropped. */
function asText(template: string, params: TemplateParams): string {
  return fill(template.replace(BR, '\n').replace(/<[^>]*>/g, ''), params, (s) => s);
}

/** HTML part: everything escaped (template text and values), then the template's line breaks restored. */
function asHtml(template: string, params: TemplateParams): string {
  return template
    .split(BR)
    .map((part) => fill(escapeHtml(part), params, htmlValue))
    .join('<br/>');
}

const uses = (t: DeliveryTemplate, name: Placeholder) => new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(t.subject + t.body + t.footer);

/** The greeting "<salutation> <name>," unless the template places those itself. */
function greeting(t: DeliveryTemplate, p: TemplateParams): string {
  if (uses(t, 'deliverySalutation') || uses(t, 'deliveryName')) return '';
  return [p.deliverySalutation, p.deliveryName].filter(Boolean).join(' ');
}

/**
 * Renders a template for a delivery method. The template's type must match the method; the pass
 * download link is added when the template does not place it, so a delivered pass can always be opened.
 */
export function renderTemplate(t: DeliveryTemplate, method: 'Email' | 'SMS', params: TemplateParams): RenderedMessage {
  if (t.type !== method) {
    throw new TemplateError(`deliveryTemplate "${t.title}" is of type ${t.type}; deliveryMethod ${method} needs an ${method} template (e.g. ${DEFAULT_TEMPLATE[method]})`);
  }
  const hello = greeting(t, params);
  const link = uses(t, 'passDownloadLink') ? '' : params.passDownloadLink ?? '';
  if (method === 'SMS') {
    const text = [hello && `${hello},`, asText(t.body, params), link, asText(t.footer, params)].filter(Boolean).join('\n').trim();
    return { subject: null, text, html: null };
  }
  const subject = asText(t.subject, params).replace(/\s+/g, ' ').trim();
  const text = [hello && `${hello},`, asText(t.body, params), link, asText(t.footer, params)].filter(Boolean).join('\n\n');
  const image = /^https?:\/\//.test(t.imageURL) ? `<p><img src="${escapeHtml(t.imageURL)}" alt="" style="max-width:100%"></p>` : '';
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"><title>' + escapeHtml(subject) + '</title></head><body>',
    t.preheader ? `<div style="display:none;max-height:0;overflow:hidden">${fill(escapeHtml(t.preheader), params, (v) => escapeHtml(v))}</div>` : '',
    image,
    hello ? `<p>${escapeHtml(hello)},</p>` : '',
    `<p style="word-break:break-word">${asHtml(t.body, params)}</p>`,
    link ? `<p><a href="${escapeHtml(link)}">Add to wallet</a></p>` : '',
    t.footer ? `<p style="color:#666;font-size:small">${asHtml(t.footer, params)}</p>` : '',
    '</body></html>',
  ].join('');
  return { subject, text, html };
}

/** Pre-rendered text turned into minimal HTML (result and invitation emails). */
export function textToHtml(text: string): string {
  const linked = escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (u) => `<a href="${u}">${u}</a>`);
  return `<!doctype html><html><head><meta charset="utf-8"></head><body><p>${linked.replace(/\n/g, '<br/>')}</p></body></html>`;
}
