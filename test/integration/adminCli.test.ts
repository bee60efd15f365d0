import crypto from 'node:crypto';
import { getOrganisation } from '../../src/services/organisations';
import { adminCli } from '../helpers/adminCli';
import { gql, Harness, startHarness } from '../helpers/harness';

/** The operator CLI of the foundation: organisations, pass designs, tokens; bad flags named. */
describe('admin CLI: org, design, token', () => {
  let h: Harness;
  const admin = adminCli();
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  it('creates an organisation and a design, and mints a token the API accepts', async () => {
    const id = `cli-${crypto.randomBytes(4).toString('hex')}`;
    const prefix = String(crypto.randomInt(100_000_000, 999_999_999));
    const org = await admin('org', 'create', '--id', id, '--name', 'CLI Org', '--callback-url', 'https://cli.example/hooks');
    expect(org).toMatchObject({ code: 0, stdout: expect.stringContaining(`Created organisation ${id}:`) });
    expect(org.stdout).toMatch(/webhook secret: whsec_/);
    expect(await getOrganisation(h.deps.db, id)).toMatchObject({ name: 'CLI Org', callback_url: 'https://cli.example/hooks' });

    const design = await admin('design', 'create', '--org', id, '--title', 'Gym Membership', '--prefix', prefix, '--fields', 'membership_number,membership_name');
    expect(design).toMatchObject({ code: 0, stdout: `Created pass design "Gym Membership" for ${id}: serial prefix ${prefix}, fields membership_number, membership_name\n` });

    const token = await admin('token', '--org', id, '--email', 'ops@cli.example', '--roles', 'Owner,Api-Dev');
    expect(token.code).toBe(0);
    const res = await gql(h.baseUrl, token.stdout.trim(), `query { getOrganisationPassDesignByTitle(input: { title: "Gym Membership" }) { serialPrefix dynamicFieldKeys } }`);
    expect(res.body.data.getOrganisationPassDesignByTitle).toEqual({ serialPrefix: prefix, dynamicFieldKeys: ['membership_number', 'membership_name'] });

    const updated = await admin('org', 'update', '--id', id, '--no-callback-url');
    expect(updated.code).toBe(0);
    expect((await getOrganisation(h.deps.db, id))!.callback_url).toBeNull();
  });

  it.each([
    [['org', 'create', '--id', 'Bad!', '--name', 'X'], /--id: must be 2-63 lowercase letters/],
    [['org', 'create', '--id', 'ok-org'], /--name: is required/],
    [['org', 'create', '--id', 'ok-org2', '--name', 'X', '--callback-url', 'ftp://x'], /--callback-url: must use http or https/],
    [['design', 'create', '--org', 'no-such-org', '--title', 'T', '--prefix', '12', '--fields', 'a'], /--org: no organisation "no-such-org"/],
    [['design', 'create', '--org', 'x', '--title', 'T', '--prefix', '12ab', '--fields', 'a'], /--prefix: must be 1-10 digits/],
    [['design', 'create', '--org', 'x', '--title', 'T', '--prefix', '12', '--fields', '1bad'], /--fields: each key must be a letter or _/],
    [['token', '--org', 'x', '--email', 'not-an-email', '--roles', 'Owner'], /--email: must be an email address/],
    [['token', '--org', 'x', '--email', 'a@b.test', '--roles', 'Owner,Boss'], /--roles: each role must be one of Owner, Admin, Pass-Issuer, Api-Dev/],
    [['token', '--org', 'no-such-org', '--email', 'a@b.test', '--roles', 'Owner'], /--org: no organisation "no-such-org"/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['org', 'create', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a clear message', async (args, message) => {
    const r = await admin(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('help lists every command of the table; a flag of another command is refused by name', async () => {
    const help = await admin('help');
    expect(help.code).toBe(0);
    for (const name of ['org create', 'design create', 'token', 'callback retry', 'digital-card create', 'registry load', 'dci sender add', 'dci admin-token']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name}( |$)`, 'm'));
    }
    expect((await admin('help', 'org', 'show')).stdout).toBe('Usage: npm run admin -- org show --id <id>\n      prints an organisation, with its webhook secret\n');
    const foreign = await admin('org', 'show', '--id', 'x1', '--title', 'T');
    expect(foreign).toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown option '--title'[\s\S]*org show --id <id>/) });
  });

  it('refuses a duplicate prefix', async () => {
    const id = `cli-${crypto.randomBytes(4).toString('hex')}`;
    await admin('org', 'create', '--id', id, '--name', 'Dup');
    const prefix = String(crypto.randomInt(100_000_000, 999_999_999));
    expect((await admin('design', 'create', '--org', id, '--title', 'A', '--prefix', prefix, '--fields', 'a')).code).toBe(0);
    const again = await admin('design', 'create', '--org', id, '--title', 'B', '--prefix', prefix, '--fields', 'a');
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`prefix: serial prefix "${prefix}" is already in use`)) });
  });
});
