/**
 * Dispatch keys name the delivery run of a set of outbox rows: one per business event, so a row
 * written later never meets a run that has already finished. Pure: imported by workflows too.
 */
export const dispatchKeys = {
  passes: (requestId: string) => `distribution-${requestId}`,
  results: (kind: string, requestId: string) => `${kind}-${requestId}-results`,
  issuance: (requestId: string, sendKey: string) => `async-issuance-${requestId}-${sendKey}`,
  report: (reportId: string) => `audit-report-${reportId}`,
};

/** The workflow that delivers a dispatch key's messages on its own. */
export const deliveryWorkflowId = (dispatchKey: string) => `notify-${dispatchKey}`;
