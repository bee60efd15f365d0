import type { Knex } from 'knex';

/** Monthly invoices and the organisation's billing settings (PO number, currency, terms, VAT). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organisations', (t) => {
    // Shown on every invoice generated after it is set (uploadOrgPurchaseOrderNumber).
    t.text('purchase_order_number');
    t.text('payment_currency').notNullable().defaultTo('GBP');
    t.integer('payment_terms_days').notNullable().defaultTo(30);
    t.integer('vat_percent').notNullable().defaultTo(20);
  });

  await knex.raw('CREATE SEQUENCE invoice_number_seq');
  await knex.schema.createTable('invoices', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('invoice_number').notNullable().unique();
    t.text('billing_period').notNullable();
    t.timestamp('period_start', { useTz: true }).notNullable();
    t.timestamp('period_end', { useTz: true }).notNullable();
    t.text('purchase_order_number');
    t.text('payment_currency').notNullable();
    t.jsonb('lines').notNullable(); // the computed charges, one column per Invoice field (see src/domain/invoicing.ts)
    t.integer('amount').notNullable();
    t.text('status').notNullable();
    t.specificType('payments', 'integer[]').notNullable().defaultTo('{}');
    t.timestamp('date_of_invoice', { useTz: true }).notNullable();
    t.timestamp('due_date', { useTz: true }).notNullable();
    t.timestamp('paid_at', { useTz: true });
    // The workflow run that generated the invoice, for operators.
    t.text('generated_by').notNullable();
    t.timestamp('last_modified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['organisation_id', 'period_start']);
    t.index(['organisation_id', 'period_start', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invoices');
  await knex.raw('DROP SEQUENCE IF EXISTS invoice_number_seq');
  await knex.schema.alterTable('organisations', (t) => {
    t.dropColumns('purchase_order_number', 'payment_currency', 'payment_terms_days', 'vat_percent');
  });
}
