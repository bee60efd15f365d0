/**
 * GDPR forgetting rules shared by the API, the workflows and configuration (no Node imports:
 * workflow code uses them).
 */

/** Personal details are erased at most 3 days after the request (seed 003). */
export const MAX_FORGET_GRACE_MS = 3 * 86_400_000;

/** The grace period actually waited: never negative, never beyond the 3-day promise. */
export function effectiveGraceMs(requestedMs: number): number {
  return Math.min(Math.max(0, Math.floor(requestedMs)), MAX_FORGET_GRACE_MS);
}
