import type { Deps } from '../../deps';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { Received, recordTransaction } from './inbox';
import { dciKeys } from './keys';
import { RequestStatus, SearchOutcome, searchResponseEntries } from './messages';
import { replyToSender } from './outbox';
import { checkSearchItem, DEFAULT_PAGE_SIZE, dropSnapshot, searchPage, snapshotMatches, snapshotPage } from './search';
import { signedReply } from './syncReply';

/**
 * Search requests. Sync: answered in the response (one page per item). Async: a workflow plans
 * the search (fixing each item's matches), then sends one on-search callback per page.
 */
type SearchItem = { reference_id?: unknown; timestamp?: unknown; search_criteria?: unknown };

/** What was answered for each item: statuses and counts only (kept for txn/status). */
export interface ItemSummary {
  reference_id: string;
  status: RequestStatus;
  status_reason_code?: string;
  status_reason_message?: string;
  total_count?: number;
  page_size?: number;
  /** Async: the pages sent, one callback each. */
  pages?: number[];
}

const refOf = (item: SearchItem) => (typeof item.reference_id === 'string' ? item.reference_id : String(item.reference_id ?? ''));

export async function syncSearch(deps: Deps, r: Received<'search'>) {
  const { correlationId } = await recordTransaction(deps, r, true);
  const def = REGISTRIES[r.registry];
  const seen = new Set<string>();
  const entries: unknown[] = [];
  const summary: ItemSummary[] = [];
  for (const item of r.message.search_request as SearchItem[]) {
    const checked = checkSearchItem(r.registry, item, seen);
    let outcome: SearchOutcome;
    if (!checked.ok) {
      outcome = { status: 'rjct', reasonCode: checked.reasonCode, message: checked.message };
    } else {
      const p = checked.parsed.pagination;
      const pageSize = p?.pageSize ?? DEFAULT_PAGE_SIZE;
      const pageNumber = p?.pageNumber ?? 1;
      const page = await searchPage(deps.db, r.registry, checked.parsed, pageSize, pageNumber, deps.matchCounts, deps.filterIndexes);
      outcome =
        !p && page.total > DEFAULT_PAGE_SIZE
          ? { status: 'rjct', reasonCode: 'rjct.search.too_many_records_found', message: `${page.total} records match; ask for them in pages (search_criteria.pagination.page_size up to ${DEFAULT_PAGE_SIZE}) or use the async search` }
          : { status: 'succ', records: page.records, pageSize, pageNumber, total: page.total };
    }
    entries.push(...searchResponseEntries(def, refOf(item), outcome));
    summary.push(
      outcome.status === 'succ'
        ? { reference_id: refOf(item), status: 'succ', total_count: outcome.total, page_size: outcome.pageSize, pages: [outcome.pageNumber] }
        : { reference_id: refOf(item), status: 'rjct', status_reason_code: outcome.reasonCode, status_reason_message: outcome.message },
    );
  }
  const status: RequestStatus = summary.every((s) => s.status === 'rjct') ? 'rjct' : 'succ';
  await deps.db('dci_transactions').where({ correlation_id: correlationId }).update({ status, response: JSON.stringify({ items: summary }), completed_at: deps.db.fn.now() });

  return signedReply(deps, r, {
    action: 'on-search',
    status,
    totalCount: summary.length,
    completedCount: summary.length,
    message: { transaction_id: r.message.transaction_id, correlation_id: correlationId, search_response: entries },
  });
}

async function loadTransaction(deps: Deps, correlationId: string) {
  const tx = await deps.db('dci_transactions').where({ correlation_id: correlationId }).first();
  if (!tx) throw new Error(`DCI transaction ${correlationId} does not exist`);
  return tx as {
    correlation_id: string;
    registry: RegistryKey;
    sender_id: string;
    transaction_id: string;
    sender_uri: string;
    encrypted: boolean;
    request: Record<string, unknown>;
    response: { items?: ItemSummary[] } | null;
    status: RequestStatus;
  };
}

export interface SearchPlan {
  registry: RegistryKey;
  /** One callback per page of each item (a rejected item: one callback). */
  callbacks: { itemIndex: number; page: number }[];
}

/**
 * Async search, step 1: checks every item and fixes the matches of each valid one. Pages: the one
 * asked for (pagination.page_number), else all of them (page_size, default 1000).
 */
export async function planSearch(deps: Deps, correlationId: string): Promise<SearchPlan> {
  const tx = await loadTransaction(deps, correlationId);
  const seen = new Set<string>();
  const items = tx.request.search_request as SearchItem[];
  const summary: ItemSummary[] = [];
  const callbacks: SearchPlan['callbacks'] = [];
  for (const [index, item] of items.entries()) {
    const checked = checkSearchItem(tx.registry, item, seen);
    if (!checked.ok) {
      summary.push({ reference_id: refOf(item), status: 'rjct', status_reason_code: checked.reasonCode, status_reason_message: checked.message });
      callbacks.push({ itemIndex: index, page: 0 });
      continue;
    }
    const total = await snapshotMatches(deps.db, correlationId, index, tx.registry, checked.parsed);
    const pageSize = checked.parsed.pagination?.pageSize ?? DEFAULT_PAGE_SIZE;
    const asked = checked.parsed.pagination?.pageNumber;
    const pages = asked ? [asked] : Array.from({ length: Math.max(1, Math.ceil(total / pageSize)) }, (_, i) => i + 1);
    summary.push({ reference_id: refOf(item), status: 'succ', total_count: total, page_size: pageSize, pages });
    for (const page of pages) callbacks.push({ itemIndex: index, page });
  }
  await deps.db('dci_transactions').where({ correlation_id: correlationId }).update({ status: 'pdng', response: JSON.stringify({ items: summary }) });
  return { registry: tx.registry, callbacks };
}

/** Async search, step 2 (per callback): builds the on-search message of one page and records its delivery. */
export async function buildOnSearch(deps: Deps, correlationId: string, itemIndex: number, page: number, completedCount: number, last: boolean): Promise<string> {
  const tx = await loadTransaction(deps, correlationId);
  const def = REGISTRIES[tx.registry];
  const s = tx.response!.items![itemIndex];
  const outcome: SearchOutcome =
    s.status === 'rjct'
      ? { status: 'rjct', reasonCode: s.status_reason_code!, message: s.status_reason_message ?? '' }
      : { status: 'succ', records: await snapshotPage(deps.db, correlationId, itemIndex, s.page_size!, page), pageSize: s.page_size!, pageNumber: page, total: s.total_count! };
  const items = tx.response!.items!;
  const status: RequestStatus = !last ? 'pdng' : items.every((i) => i.status === 'rjct') ? 'rjct' : 'succ';
  return replyToSender(deps.db, deps.config, tx, {
    id: `dci_on-search_${correlationId}_${itemIndex}_${page}`,
    action: 'on-search',
    status,
    totalCount: items.length,
    completedCount,
    message: { transaction_id: tx.transaction_id, correlation_id: correlationId, search_response: searchResponseEntries(def, s.reference_id, outcome) },
  });
}

/** Async search, step 3: the transaction is complete; its snapshot goes. */
export async function finishSearch(deps: Deps, correlationId: string): Promise<void> {
  const tx = await loadTransaction(deps, correlationId);
  const status: RequestStatus = (tx.response?.items ?? []).every((i) => i.status === 'rjct') ? 'rjct' : 'succ';
  await deps.db('dci_transactions').where({ correlation_id: correlationId }).update({ status, completed_at: deps.db.fn.now() });
  await dropSnapshot(deps.db, correlationId);
}
