import { registerColumnErasure, registerErasure } from '../registry';
import { rewriteStoredCsv } from '../csvRewrite';

/**
 * Distribution: the pass record, the staged request rows and the success/failure result CSVs
 * (seed 003's SuccessListItem / FailureListItem columns) all carry the end user's details.
 */

// Dynamic field data and values, delivery address, name and salutation, payload, external reference.
registerColumnErasure({
  name: 'passes',
  table: 'passes',
  columns: { dynamic_field_data: '{}', external_reference_id: '', payload: null, delivery_address: '', delivery_name: '', delivery_salutation: '' },
  match: { passIdColumn: 'id' },
});

// The row as received (CSV cells or passDetails JSON); status, error and serial stay.
registerColumnErasure({
  name: 'distribution_rows.raw',
  table: 'distribution_rows',
  columns: { raw: '{}' },
  match: { serialColumn: 'serial_number' },
});

/** Result CSV columns that hold the end user's details (both list shapes). */
const PERSONAL_CSV_COLUMNS = ['customFieldData', 'dynamicFieldData', 'externalReferenceID', 'payload', 'deliveryAddress', 'deliverySalutation', 'deliveryName'];

registerErasure({
  name: 'stored_files(distribution results)',
  async erase(trx, passes) {
    const requestIds = [...new Set(passes.map((p) => p.distributionRequestId).filter((id): id is string => !!id))];
    if (!requestIds.length) return 0;
    const serials = new Set(passes.map((p) => p.serialNumber));
    const requests = await trx('distribution_requests').whereIn('id', requestIds).select('success_file_id', 'failure_file_id');
    const fileIds = requests.flatMap((r) => [r.success_file_id, r.failure_file_id]).filter(Boolean) as string[];
    let rewritten = 0;
    for (const fileId of fileIds) {
      const changed = await rewriteStoredCsv(trx, fileId, (row) => {
        if (!serials.has(row.serialNumber)) return row;
        const out = { ...row };
        for (const c of PERSONAL_CSV_COLUMNS) if (c in out) out[c] = '';
        return out;
      });
      if (changed) rewritten++;
    }
    return rewritten;
  },
});
