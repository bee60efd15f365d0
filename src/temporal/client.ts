import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { tracingClientInterceptors, type Tracing } from '../telemetry/tracing';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Steward's (encrypting) data converter: src/temporal/codec.ts stewardDataConverter. */
  dataConverter?: DataConverter;
  /** When tracing is on: starts carry the active trace context to the workflow. */
  tracing?: Tracing;
}

/** A client for starting and querying workflows. */
export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address: target.address });
  return new Client({
    connection,
    namespace: target.namespace,
    dataConverter: target.dataConverter,
    ...(target.tracing ? { interceptors: tracingClientInterceptors(target.tracing) } : {}),
  });
}
