import autocannon from 'autocannon';
import { signUserToken } from '../src/auth/tokens';
import { createOrganisation } from '../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../src/services/passDesigns';
import { startBenchEnv } from './env';

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
    const org = await createOrganisation(env.deps.db, { id: 'bench', name: 'Bench' });
    const fields = ['membership_number', 'membership_name'];
    await createPassDesign(env.deps.db, {
      organisationId: org.id, title: 'Bench Pass', prefix: '7003', dynamicFieldKeys: fields, actor: 'bench',
      presentation: defaultPresentation(org.name, 'Bench Pass', fields, env.deps.config.publicBaseUrl),
    });
    const token = await signUserToken(env.deps.jwtKeys, { org: org.id, email: 'bench@example.test', roles: ['Owner'] }, env.deps.config.jwt);
    const passDetails = Array.from({ length: 25 }, (_, i) => ({ externalReferenceID: `load-${i}`, dynamicFields: { membership_number: `${i}`, membership_name: `Member ${i}` } }));

    console.log(`${CLIENTS} clients, ${SECONDS} s each, against the API process (${env.baseUrl})`);
    const individual = await load(env.baseUrl, token, 'distributeIndividualPass (25 passes)', INDIVIDUAL, { input: { title: 'Bench Pass', passDetails } });
    await load(env.baseUrl, token, 'getPaginatedDistributionRequests (20/page)', PAGE, { input: { batchSize: 20 } });

    const [{ passes, serials }] = (
      await env.deps.db.raw(`SELECT count(*)::int AS passes, count(DISTINCT serial_number)::int AS serials FROM passes WHERE organisation_id = ?`, [org.id])
    ).rows;
    console.log(`passes created: ${passes}, distinct serials: ${serials}, duplicates: ${passes - serials} (expected ${individual['2xx'] * 25} passes from the 2xx responses)`);
  } finally {
    await env.close();
  }
}
