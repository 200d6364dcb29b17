// Message ids locate a message: the broker group that stores it, the log index of the entry
// holding its batch and its position in the batch. 12 bytes, printed as 24 hex digits:
//   brokerGroup u16 | logIndex u48 | position u32
import { DepotError } from '../../util/errors.js';

export interface MessageLocation {
  brokerGroup: number;
  logIndex: number;
  position: number;
}

export function formatMessageId(loc: MessageLocation): string {
  const b = Buffer.allocUnsafe(12);
  b.writeUInt16BE(loc.brokerGroup, 0);
  b.writeUIntBE(loc.logIndex, 2, 6);
  b.writeUInt32BE(loc.position, 8);
  return b.toString('hex');
}

export function parseMessageId(id: string): MessageLocation {
  if (!/^[0-9a-f]{24}$/.test(id)) throw new DepotError('BAD_REQUEST', `'${id}' is not a message id (24 hex digits)`);
  const b = Buffer.from(id, 'hex');
  return { brokerGroup: b.readUInt16BE(0), logIndex: b.readUIntBE(2, 6), position: b.readUInt32BE(8) };
}
