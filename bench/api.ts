import autocannon from 'autocannon';
import { createBenchOrg, startBenchEnv } from './env';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 30);
const CLIENTS = Number(process.env.BENCH_API_CLIENTS ?? 50);

const INDIVIDUAL = `mutation($input: DistributionRequest) { distributeIndividualPass(input: $input) {
  successList { serialNumber passApiKey passDownloadLink } failureList { error } } }`;
const PAGE = `query($input: GetPaginatedDistributionRequest) { getPaginatedDistributionRequests(input: $input) {
  distributionDocs { batchCount status successCount failureCount successResults appleRedemptions googleRedemptions } lastCreated lastDocID } }`;

/** autocannon against the real API process: requests/s, latency, transport errors and GraphQL errors. */
async function load(url: string, token: string, name: string, query: string, variables: unknown) {
  let graphqlErrors = 0;
  let firstError = '';
  const result = await autocannon({
    url: `${url}/query`,
    connections: CLIENTS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    requests: [
      {
        onResponse: (status: number, body: string) => {
          if (status !== 200 || body.includes('"errors"')) {
            graphqlErrors++;
            firstError ||= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  console.log(
    `${name.padEnd(44)} ${result.requests.average.toFixed(0).padStart(6)} req/s  p50 ${String(result.latency.p50).padStart(5)} ms  p99 ${String(result.latency.p99).padStart(5)} ms  ` +
      `requests ${result.requests.total}, errors ${result.errors + result.non2xx + graphqlErrors} (transport ${result.errors}, non-2xx ${result.non2xx}, GraphQL ${graphqlErrors})`,
  );
  if (firstError) console.log(`  first error: ${firstError}`);
  return result;
}

/**
 * `npm run bench api`: CLIENTS concurrent clients for SECONDS each on distributeIndividualPass
 * (25 passes per request) and on getPaginatedDistributionRequests, then a check that no serial
 * number was handed out twice.
 */
export default async function apiBench(): Promise<void> {
  const env = await startBenchEnv();
  try {
    const { org, token } = await createBenchOrg(env.deps, { id: 'bench', name: 'Bench', prefix: '7003', fields: ['membership_number', 'membership_name'] });
    const passDetails = Array.from({ length: 25 }, (_, i) => ({ externalReferenceID: `load-${i}`, dynamicFields: { membership_number: `${i}`, membership_name: `Member ${i}` } }));

    console.log(`${CLIENTS} clients, ${SECONDS} s each, against the API process (${env.baseUrl})`);
    const individual = await load(env.baseUrl, token, 'distributeIndividualPass (25 passes)', INDIVIDUAL, { input: { title: 'Bench Pass', passDetails } });
    await load(env.baseUrl, token, 'getPaginatedDistributionRequests (20/page)', PAGE, { input: { batchSize: 20 } });

    const [{ passes, serials }] = (
      await env.deps.db.raw(`SELECT count(*)::int AS passes, count(DISTINCT serial_number)::int AS serials FROM passes WHERE organisation_id = ?`, [org.id])
    ).rows;
    console.log(`passes created: ${passes}, distinct serials: ${serials}, duplicates: ${passes - serials} (expected ${individual['2xx'] * 25} to ${(individual['2xx'] + CLIENTS) * 25}: 25 per 2xx response counted, plus up to ${CLIENTS} requests in flight when the clock stopped)`);
  } finally {
    await env.close();
  }
}
