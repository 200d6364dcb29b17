// Typed error codes shared by the server, the protocols and the client SDK.
//
// Every error that crosses a layer boundary (or the wire) is a DepotError with a stable
// code. The numeric value is the code on the native wire protocol (docs/protocol.md), so
// values are append-only: never renumber, never reuse.

export const ErrorCodes = {
  // General
  INTERNAL: 1,
  BAD_REQUEST: 2,
  UNSUPPORTED_VERSION: 3,
  UNKNOWN_REQUEST: 4,
  TIMEOUT: 5,
  SHUTTING_DOWN: 6,
  THROTTLED: 7,
  UNAUTHORIZED: 8,
  FORBIDDEN: 9,
  INVALID_CONFIG: 10,
  CANCELLED: 11,
  DATA_DIR_LOCKED: 12,

  // Wire
  MALFORMED_FRAME: 20,
  FRAME_TOO_LARGE: 21,
  CONNECTION_CLOSED: 22,

  // Storage
  STORAGE_IO: 40,
  STORAGE_FULL: 41,
  STORAGE_PERMISSION: 42,
  CORRUPT_LOG: 43,
  LOG_CLOSED: 44,
  INDEX_OUT_OF_RANGE: 45,
  INDEX_COMPACTED: 46,

  // Consensus
  NOT_LEADER: 60,
  NO_LEADER: 61,
  PROPOSAL_DROPPED: 62,
  GROUP_NOT_FOUND: 63,

  // Queue engine
  TOPIC_NOT_FOUND: 80,
  TOPIC_EXISTS: 81,
  QUEUE_NOT_FOUND: 82,
  MESSAGE_TOO_LARGE: 83,
  INVALID_MESSAGE: 84,
  GROUP_NOT_FOUND_MQ: 85,
  NOT_GROUP_MEMBER: 86,
  QUEUE_NOT_ASSIGNED: 87,
  OUT_OF_ORDER_SEQUENCE: 88,
  INVALID_OFFSET: 89,
  CRC_MISMATCH: 90,
  INVALID_TOPIC: 91,
  MESSAGE_NOT_FOUND: 92,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

const byNumber = new Map<number, ErrorCode>(
  Object.entries(ErrorCodes).map(([name, n]) => [n, name as ErrorCode]),
);

export function errorCodeFromNumber(n: number): ErrorCode {
  return byNumber.get(n) ?? 'INTERNAL';
}

export interface DepotErrorOptions {
  cause?: unknown;
  /** Structured detail for the caller, e.g. `{ leader: '127.0.0.1:7451' }` with NOT_LEADER. */
  details?: Readonly<Record<string, string | number | boolean>>;
}

export class DepotError extends Error {
  override readonly name = 'DepotError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: ErrorCode, message: string, options: DepotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get wireCode(): number {
    return ErrorCodes[this.code];
  }
}

export function isDepotError(err: unknown, code?: ErrorCode): err is DepotError {
  return err instanceof DepotError && (code === undefined || err.code === code);
}

/**
 * A storage error (disk full, a filesystem turned read-only, an I/O error): what the raft
 * groups and the broker's indexes wait out and write again, rather than stopping.
 */
export function isStorageError(err: unknown): err is DepotError {
  return isDepotError(err) && (err.code === 'STORAGE_FULL' || err.code === 'STORAGE_PERMISSION' || err.code === 'STORAGE_IO');
}

/** Maps a Node.js system error from the file system to a typed storage error. */
export function storageError(err: unknown, what: string): DepotError {
  if (err instanceof DepotError) return err;
  const sys = err as NodeJS.ErrnoException;
  switch (sys?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DepotError('STORAGE_FULL', `${what}: no space left on device`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new DepotError('STORAGE_PERMISSION', `${what}: permission denied (${sys.code})`, { cause: err });
    default:
      return new DepotError('STORAGE_IO', `${what}: ${sys?.message ?? String(err)}`, { cause: err });
  }
}
