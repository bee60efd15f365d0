import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Config } from '../config';

/**
 * A local mail catcher: an SMTP server (smtp-server) that accepts every message, parses it
 * (mailparser) and keeps it in memory, and a web page listing what arrived. `npm start` runs one so
 * a developer sees every email Steward sends; the tests use the same server with scripted refusals.
 */

export interface CaughtMail {
  id: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  date: string;
  receivedAt: string;
}

/** An SMTP reply refusing something: 4xx temporary, 5xx permanent. */
export type Refusal = { code: number; message: string } | null;

export interface MailCatcherOptions {
  smtpPort?: number;
  /** Serve the web page on this port (0: any free one); omitted: no web page. */
  webPort?: number;
  host?: string;
  /** Messages kept (oldest dropped first). */
  keep?: number;
  /** Decides each RCPT TO; null accepts. */
  onRecipient?: (address: string, index: number) => Refusal;
  /** Decides each message once its content arrived (index counts messages); null accepts. */
  onMessage?: (index: number) => Refusal;
}

function refusal(r: Exclude<Refusal, null>): Error {
  return Object.assign(new Error(r.message), { responseCode: r.code });
}

export class MailCatcher {
  readonly messages: CaughtMail[] = [];
  private smtp?: SMTPServer;
  private web?: http.Server;
  private rcptCount = 0;
  private dataCount = 0;
  smtpPort = 0;
  webPort = 0;

  constructor(private readonly opts: MailCatcherOptions = {}) {}

  get smtpUrl(): string {
    return `smtp://${this.opts.host ?? '127.0.0.1'}:${this.smtpPort}`;
  }

  get webUrl(): string {
    return `http://localhost:${this.webPort}`;
  }

  /** Message-IDs received, with repeats (a re-sent copy shows twice). */
  messageIds(): string[] {
    return this.messages.map((m) => m.messageId);
  }

  async start(): Promise<this> {
    const host = this.opts.host ?? '127.0.0.1';
    this.smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: 10 * 1024 * 1024,
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const r = this.opts.onRecipient?.(address.address, this.rcptCount++) ?? null;
        callback(r ? refusal(r) : null);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const r = this.opts.onMessage?.(this.dataCount++) ?? null;
          if (r) return callback(refusal(r));
          simpleParser(Buffer.concat(chunks)).then(
            (mail) => {
              this.keep({
                id: crypto.randomUUID(),
                messageId: mail.messageId ?? '',
                from: mail.from?.text ?? (session.envelope.mailFrom ? (session.envelope.mailFrom as SMTPServerAddress).address : ''),
                to: session.envelope.rcptTo.map((a) => a.address),
                subject: mail.subject ?? '',
                text: mail.text ?? '',
                html: typeof mail.html === 'string' ? mail.html : null,
                date: (mail.date ?? new Date()).toISOString(),
                receivedAt: new Date().toISOString(),
              });
              callback(null);
            },
            (err) => callback(err),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.smtp!.once('error', reject);
      this.smtp!.listen(this.opts.smtpPort ?? 0, host, () => resolve());
    });
    this.smtp.on('error', () => undefined); // a client hanging up mid-session is not the catcher's problem
    this.smtpPort = (this.smtp.server.address() as AddressInfo).port;
    if (this.opts.webPort !== undefined) {
      this.web = http.createServer((req, res) => this.serve(req, res));
      await new Promise<void>((resolve, reject) => {
        this.web!.once('error', reject);
        this.web!.listen(this.opts.webPort, host, () => resolve());
      });
      this.webPort = (this.web.address() as AddressInfo).port;
    }
    return this;
  }

  private keep(m: CaughtMail) {
    this.messages.push(m);
    const keep = this.opts.keep ?? Infinity;
    if (this.messages.length > keep) this.messages.splice(0, this.messages.length - keep);
  }

  clear() {
    this.messages.length = 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.smtp ? this.smtp.close(() => resolve()) : resolve()));
    if (this.web) {
      this.web.closeAllConnections();
      await new Promise<void>((resolve) => this.web!.close(() => resolve()));
    }
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-security-policy': "default-src 'self' 'unsafe-inline'; img-src * data:; frame-src 'self'" });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/api/messages') return send(200, 'application/json', JSON.stringify([...this.messages].reverse()));
    if (req.method === 'DELETE' && url.pathname === '/api/messages') {
      this.clear();
      return send(204, 'text/plain', '');
    }
    const raw = /^\/messages\/([0-9a-f-]{36})\/html$/.exec(url.pathname);
    if (req.method === 'GET' && raw) {
      const m = this.messages.find((x) => x.id === raw[1]);
      if (!m) return send(404, 'text/plain', 'no such message');
      // Shown inside a sandboxed iframe: scripts in a caught email never run.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "script-src 'none'", 'cache-control': 'no-store' });
      return res.end(m.html ?? `<pre>${escape(m.text)}</pre>`);
    }
    if (req.method === 'GET' && url.pathname === '/') return send(200, 'text/html; charset=utf-8', PAGE);
    send(404, 'text/plain', 'not found');
  }
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Steward mail catcher</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;display:grid;grid-template-columns:minmax(280px,35%) 1fr;grid-template-rows:auto 1fr;height:100vh}
header{grid-column:1/3;padding:.6rem 1rem;background:#1f2937;color:#fff;display:flex;gap:1rem;align-items:center}
header h1{font-size:1.1rem;margin:0;flex:1} button{cursor:pointer}
#list{overflow:auto;border-right:1px solid #ddd;margin:0;padding:0;list-style:none}
#list li{padding:.5rem 1rem;border-bottom:1px solid #eee;cursor:pointer} #list li.sel{background:#e0e7ff}
#list .s{font-weight:600} #list .m{color:#555;font-size:.85rem}
#view{display:flex;flex-direction:column;overflow:hidden} #meta{padding:.6rem 1rem;border-bottom:1px solid #ddd;font-size:.9rem}
iframe{flex:1;border:0;width:100%} .empty{padding:1rem;color:#666}
</style></head><body>
<header><h1>Steward mail catcher: every email Steward sends</h1><span id="count"></span><button id="clear">Clear</button></header>
<ul id="list"></ul><section id="view"><div class="empty">Select a message.</div></section>
<script>
let selected = null, messages = [];
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
function show(id) {
  selected = id; const m = messages.find((x) => x.id === id); if (!m) return;
  document.getElementById('view').innerHTML = '<div id="meta"><div><b>' + esc(m.subject) + '</b></div><div>From: ' + esc(m.from) + '</div><div>To: ' + esc(m.to.join(', ')) +
    '</div><div>Date: ' + esc(m.date) + '</div><div>Message-ID: ' + esc(m.messageId) + '</div></div><iframe sandbox title="message" src="/messages/' + m.id + '/html"></iframe>';
  render();
}
function render() {
  document.getElementById('count').textContent = messages.length + ' message(s)';
  document.getElementById('list').innerHTML = messages.map((m) => '<li data-id="' + m.id + '"' + (m.id === selected ? ' class="sel"' : '') + '><div class="s">' + esc(m.subject || '(no subject)') +
    '</div><div class="m">to ' + esc(m.to.join(', ')) + ' · ' + esc(new Date(m.receivedAt).toLocaleTimeString()) + '</div></li>').join('') || '<li class="empty">No email yet.</li>';
}
document.getElementById('list').addEventListener('click', (e) => { const li = e.target.closest('li[data-id]'); if (li) show(li.dataset.id); });
document.getElementById('clear').addEventListener('click', async () => { await fetch('/api/messages', { method: 'DELETE' }); selected = null; refresh(); });
async function refresh() { messages = await (await fetch('/api/messages')).json(); render(); }
refresh(); setInterval(refresh, 2000);
</script></body></html>`;

/**
 * npm start: without SMTP_URL, a mail catcher on MAIL_CATCHER_SMTP_PORT / MAIL_CATCHER_WEB_PORT
 * (default PORT+25 / PORT+80, so a second npm start on another PORT gets its own), and the
 * configuration pointing SMTP at it. With SMTP_URL set, nothing is started.
 */
export async function embeddedMailCatcher(config: Config): Promise<{ config: Config; catcher?: MailCatcher }> {
  if (config.notifications.smtpUrl) return { config };
  const { smtpPort, webPort } = config.notifications.mailCatcher;
  const catcher = await new MailCatcher({ smtpPort, webPort, keep: 1000 }).start().catch((err: Error) => {
    throw new Error(`mail catcher could not listen on SMTP ${smtpPort} / web ${webPort} (${err.message}); set MAIL_CATCHER_SMTP_PORT and MAIL_CATCHER_WEB_PORT, or SMTP_URL`);
  });
  return { config: { ...config, notifications: { ...config.notifications, smtpUrl: catcher.smtpUrl } }, catcher };
}
