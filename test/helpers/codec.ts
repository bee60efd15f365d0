import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../../src/config';
import { stewardPayloadCodec } from '../../src/temporal/codec';

/** The payload codecs Steward's clients and workers use, to decode histories in tests. */
export function payloadCodecsFor(config: Config): PayloadCodec[] {
  return [stewardPayloadCodec(config)];
}
