// Structured logs: one JSON object per line on stdout (pino), the format log shippers expect.
import { pino } from 'pino';
import type { Logger } from '../util/logger.js';

export function createLogger(level: string, name = 'depot'): Logger & { flush(): void } {
  return pino({ name, level, base: { pid: process.pid } });
}
