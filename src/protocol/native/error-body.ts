// Body of an Error frame: code u16 (util/errors.ts wire code) | message string | details string
// (JSON object of string/number/boolean values, "" when none).
import { DepotError, ErrorCodes, errorCodeFromNumber } from '../../util/errors.js';
import { BodyReader, BodyWriter } from './codec.js';

export function encodeError(err: DepotError): Buffer {
  const details = Object.keys(err.details).length === 0 ? '' : JSON.stringify(err.details);
  return new BodyWriter(64 + err.message.length).u16(ErrorCodes[err.code]).string(truncate(err.message)).string(truncate(details)).finish();
}

export function decodeError(body: Buffer): DepotError {
  const r = new BodyReader(body);
  const code = errorCodeFromNumber(r.u16());
  const message = r.string();
  const detailText = r.string();
  let details: Record<string, string | number | boolean> = {};
  if (detailText !== '') {
    try {
      details = JSON.parse(detailText) as Record<string, string | number | boolean>;
    } catch {
      details = { raw: detailText };
    }
  }
  return new DepotError(code, message, { details });
}

function truncate(s: string): string {
  return Buffer.byteLength(s) <= 4096 ? s : s.slice(0, 1024) + '…';
}
