import crypto from 'node:crypto';
import { ensureSchedules, startInvoicingRun } from '../../src/temporal/schedules';
import { RequestId } from '../../src/temporal/searchAttributeKeys';
import { createPassDesign, defaultPresentation } from '../../src/services/passDesigns';
import { updateOrganisation } from '../../src/services/organisations';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/** Monthly invoicing from real usage, the PO number, the invoice document, and the Schedule. */
describe('invoicing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const INVOICES = `query($input: GetPaginatedInvoiceRequest) { getPaginatedInvoices(input: $input) { invoicesDocs {
    amount apiCharge billingPeriod dateOfInvoice dueDate invoiceNumber invoiceURL lastModified latePaymentTaskName
    longTermCharge longTermCount longTermPrice paymentCurrency paymentDate paymentGracePeriod paymentReminderPeriod
    paymentTerms payments platformCharge recurringPassCharge recurringPassCount recurringPassPrice shortTermCharge
    shortTermCount shortTermPrice shutoffPeriod shutOffReminderTaskName startOfInvoice status supportCharge
    supportPackage userCharge userCount userPrice vatAmount xUseCharge xUseCount xUsePrice } lastStartDate lastDocID } }`;

  /** Distributes `n` passes of a design through the API, then moves them into `month` (YYYY-MM). */
  async function distributeIn(token: string, title: string, n: number, month: string, day: number) {
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title, passDetails: Array.from({ length: n }, (_, k) => ({ externalReferenceID: `r${k}`, dynamicFields: { membership_number: String(k), membership_name: 'N' } })) },
    });
    expect(res.body.errors).toBeUndefined();
    const serials = res.body.data.distributeIndividualPass.successList.map((s: { serialNumber: string }) => s.serialNumber);
    await h.deps.db('passes').whereIn('serial_number', serials).update({ created_at: new Date(`${month}-${String(day).padStart(2, '0')}T10:00:00Z`) });
  }

  it('invoices a month from distributed passes × the organisation\'s price, with the PO number, once', async () => {
    // A month of its own, so no other test's passes fall in it.
    const month = `20${String(crypto.randomInt(10, 19))}-0${crypto.randomInt(1, 9)}`;
    const { org, title } = await createTestOrg(h.deps);
    await updateOrganisation(h.deps.db, org.id, { pricePerPass: 25 });
    await createPassDesign(h.deps.db, {
      organisationId: org.id, title: 'Day Ticket', prefix: String(crypto.randomInt(10_000_000, 99_999_999)), dynamicFieldKeys: ['membership_number', 'membership_name'],
      actor: 'test', presentation: defaultPresentation(org.name, 'Day Ticket', ['k'], 'http://x'),
    });
    await h.deps.db('pass_designs').where({ organisation_id: org.id, title: 'Day Ticket' }).update({ pass_type: 'ShortTerm' });
    const token = await tokenFor(h.deps, org.id, ['Owner'], 'billing@example.test');

    const po = await gql(h.baseUrl, token, `mutation($input: UploadOrgPurchaseOrderNumberRequest) { uploadOrgPurchaseOrderNumber(input: $input) { message } }`, {
      input: { purchaseOrderNumber: 'PO-2024-0042' },
    });
    expect(po.body.data.uploadOrgPurchaseOrderNumber.message).toMatch(/"PO-2024-0042" will appear/);
    const badPo = await gql(h.baseUrl, token, `mutation { uploadOrgPurchaseOrderNumber(input: { purchaseOrderNumber: "  " }) { message } }`);
    expect(badPo.body.errors?.[0]).toMatchObject({ message: 'input.purchaseOrderNumber: must not be empty', extensions: { code: 'BAD_USER_INPUT' } });

    await distributeIn(token, title, 3, month, 2);
    await distributeIn(token, title, 1, month, 28);
    await distributeIn(token, 'Day Ticket', 2, month, 15);
    await distributeIn(token, title, 5, month === '2019-09' ? '2019-08' : '2019-09', 3); // another month: not on this invoice
    await h.deps.db('audit_events').where({ organisation_id: org.id }).update({ created_at: new Date(`${month}-05T00:00:00Z`) });

    const run = await startInvoicingRun(h.deps.temporal!, h.taskQueue, month);
    expect(await run.result()).toMatchObject({ month, created: 1 });
    const description = await run.describe();
    expect(description.typedSearchAttributes.get(RequestId)).toBe(`invoicing/${month}`);
    expect(await description.staticSummary()).toBe(`Invoicing of ${month} (started by hand)`);

    // Re-running the month writes nothing new.
    await run.result();
    const again = await h.deps.temporal!.workflow.execute('monthlyInvoicing', { args: [{ month }], taskQueue: h.taskQueue, workflowId: `invoicing-again-${month}-${org.id}` });
    expect(again).toMatchObject({ month, created: 0 });

    const res = await gql(h.baseUrl, token, INVOICES, { input: { batchSize: 10 } });
    expect(res.body.errors).toBeUndefined();
    const page = res.body.data.getPaginatedInvoices;
    expect(page.invoicesDocs).toHaveLength(1);
    const inv = page.invoicesDocs[0];
    const [y, m] = month.split('-').map(Number);
    const name = new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
    expect(inv).toMatchObject({
      billingPeriod: `${name} ${y}`,
      startOfInvoice: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
      longTermCount: 4, longTermPrice: 25, longTermCharge: 100,
      shortTermCount: 2, shortTermPrice: 25, shortTermCharge: 50,
      xUseCount: 0, xUseCharge: 0, recurringPassCount: 0, recurringPassCharge: 0,
      userCount: 1, userPrice: 0, userCharge: 0, platformCharge: 0, supportCharge: 0, apiCharge: 0, supportPackage: 'Bronze',
      vatAmount: 30, amount: 180, paymentCurrency: 'GBP', paymentTerms: 30, payments: [], status: 'pending-payment',
      paymentGracePeriod: 14, paymentReminderPeriod: 7, shutoffPeriod: 30, latePaymentTaskName: '', shutOffReminderTaskName: '',
      invoiceNumber: expect.stringMatching(/^STW\d{8}$/),
    });
    expect(new Date(inv.dueDate).getTime() - new Date(inv.dateOfInvoice).getTime()).toBe(30 * 86_400_000);
    expect(page.lastStartDate).toBe(inv.startOfInvoice);

    // The invoice URL serves the document to its own organisation only.
    const url = inv.invoiceURL.replace(h.deps.config.publicBaseUrl, h.baseUrl);
    const doc = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(doc.status).toBe(200);
    expect(await doc.json()).toMatchObject({
      invoiceNumber: inv.invoiceNumber, purchaseOrderNumber: 'PO-2024-0042', organisationName: org.name, netAmount: 150, vatAmount: 30, amount: 180,
      lines: [
        { description: 'Long-term passes distributed', quantity: 4, unitPrice: 25, amount: 100 },
        { description: 'Short-term passes distributed', quantity: 2, unitPrice: 25, amount: 50 },
      ],
    });
    const other = await createTestOrg(h.deps);
    const otherToken = await tokenFor(h.deps, other.org.id);
    expect((await fetch(url, { headers: { authorization: `Bearer ${otherToken}` } })).status).toBe(404);
    expect((await fetch(url)).status).toBe(401);
    const bad = await fetch(`${h.baseUrl}/invoices/nope`, { headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'params.invoiceNumber' });
    const otherPage = await gql(h.baseUrl, otherToken, INVOICES, { input: { batchSize: 10 } });
    expect(otherPage.body.data.getPaginatedInvoices).toEqual({ invoicesDocs: [], lastStartDate: null, lastDocID: null });
  });

  it('creates the monthly Schedule idempotently; a triggered run invoices the month before', async () => {
    const target = { taskQueue: h.taskQueue, idPrefix: `test-${crypto.randomBytes(4).toString('hex')}` };
    const client = h.deps.temporal!;
    const ids = await ensureSchedules(client, target);
    const id = ids[0];
    await ensureSchedules(client, target); // second start of a worker: no error, same schedule
    const handle = client.schedule.getHandle(id);
    try {
      const d = await handle.describe();
      expect(d.spec.calendars).toEqual([expect.objectContaining({ dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 2, end: 2, step: 1 }] })]);
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'monthlyInvoicing', taskQueue: h.taskQueue });
      expect(d.action.staticSummary).toMatch(/^Monthly invoicing/);

      await handle.trigger();
      let started: { workflowId: string; firstExecutionRunId: string } | undefined;
      for (let i = 0; i < 50 && !started; i++) {
        started = (await handle.describe()).info.recentActions[0]?.action.workflow;
        if (!started) await new Promise((r) => setTimeout(r, 200));
      }
      expect(started!.workflowId).toMatch(new RegExp(`^${id}-`));
      const result = await client.workflow.getHandle(started!.workflowId, started!.firstExecutionRunId).result();
      const now = new Date();
      const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      expect(result.month).toBe(`${prev.getUTCFullYear()}-${String(prev.getUTCMonth() + 1).padStart(2, '0')}`);
    } finally {
      for (const each of ids) await client.schedule.getHandle(each).delete();
    }
  });
});
