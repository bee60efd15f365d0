import { MailCatcher } from '../src/dev/mailCatcher';
import { BenchEnv, createBenchOrg, startBenchEnv } from './env';

const PASSES = Number(process.env.BENCH_EMAIL_PASSES ?? 10_000);

/**
 * Email delivery: a batch of PASSES passes with deliveryMethod Email, delivered to a real SMTP
 * server (smtp-server + mailparser, in this process), against the same batch without delivery.
 * Prints the distribution's own time (staged → request Complete) for both, and emails per second.
 */
export default async function notifications(): Promise<void> {
  const mail = await new MailCatcher({}).start();
  process.env.SMTP_URL = mail.smtpUrl; // the worker processes inherit it
  const env = await startBenchEnv();
  try {
    const { org, token } = await createBenchOrg(env.deps, { id: 'bench-mail', name: 'Bench Mail', prefix: '42', fields: ['membership_number', 'membership_name'] });

    const without = await run(env, token, org.id, 'None', mail);
    const withEmail = await run(env, token, org.id, 'Email', mail);
    console.log(`${PASSES.toLocaleString('en')} passes, 1 worker (NOTIFY_CHUNK_SIZE ${env.deps.config.notifications.chunkSize}, NOTIFY_CONCURRENCY ${env.deps.config.notifications.concurrency}, SMTP pool ${env.deps.config.notifications.smtpPoolSize})`);
    console.log(`  distribution without delivery:   ${without.distribution.toFixed(1)} s (staged → request Complete)`);
    console.log(`  distribution with Email delivery: ${withEmail.distribution.toFixed(1)} s (same; pass creation writes the outbox rows)`);
    console.log(`  email delivery stage:            ${withEmail.delivery.toFixed(1)} s for ${withEmail.emails.toLocaleString('en')} emails = ${(withEmail.emails / withEmail.delivery).toFixed(0)} emails/s`);
    console.log(`  whole job (staged → last email):  ${(withEmail.distribution + withEmail.delivery).toFixed(1)} s; distinct pass-email Message-IDs received: ${withEmail.distinct.toLocaleString('en')}`);
  } finally {
    await env.close();
    await mail.close();
  }
}

async function run(env: BenchEnv, token: string, orgId: string, method: 'None' | 'Email', mail: MailCatcher) {
  mail.clear();
  const passDetails = Array.from({ length: PASSES }, (_, i) => ({
    externalReferenceID: `b${i}`,
    dynamicFields: { membership_number: `${i}`, membership_name: `N${i}` },
    deliveryMethod: method,
    deliveryAddress: method === 'Email' ? `member${i}@bench.example` : '',
  }));
  const res = (await (
    await fetch(`${env.baseUrl}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }', variables: { i: { title: 'Bench Pass', passDetails } } }),
    })
  ).json()) as any;
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const requestId = /request ([0-9a-f-]{36})/.exec(res.data.distributePassBatch.message)![1];
  const request = await env.deps.db('distribution_requests').where({ id: requestId }).first('created_at');
  const result = await env.deps.temporal!.workflow.getHandle(`distribution-${orgId}-${requestId}`).result();
  const finished = Date.now();
  const { completed_at: completed } = await env.deps.db('distribution_requests').where({ id: requestId }).first('completed_at');
  const last = await env.deps.db('notification_outbox').where({ dispatch_key: `distribution-${requestId}` }).max('sent_at as at').first();
  const deliveredAt = last?.at ? new Date(last.at).getTime() : finished;
  return {
    distribution: (completed.getTime() - new Date(request.created_at).getTime()) / 1000,
    delivery: (deliveredAt - completed.getTime()) / 1000,
    emails: (result as any).delivery?.sent ?? 0,
    // Pass emails only (the results email goes to the job issuer too).
    distinct: new Set(mail.messages.filter((m) => m.to[0]?.endsWith('@bench.example')).map((m) => m.messageId)).size,
  };
}
