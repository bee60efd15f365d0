/** What the forget workflow's client and the consumer-deletion workflow share (workflow-safe). */

/** The forget workflow of a pass: one per pass, so a second request joins the first. */
export const forgetWorkflowId = (passId: string) => `forget-${passId}`;
