// One measured round of the queue benchmark: publish `n` messages of `size` bytes to a fresh
// destination, then consume them all, with the server's CPU in each phase when it is known.
import type { SystemClient, SystemName } from './clients.js';
import { destName } from './clients.js';
import { processCpuMs, type Fleet, type PhaseResult } from './fleet.js';

export interface RoundResult {
  pub: PhaseResult;
  con: PhaseResult;
  /** Server CPU per message in each phase, in µs (undefined when the server's pid is unknown). */
  pubServerUs: number | undefined;
  conServerUs: number | undefined;
}

let destinations = 0;

export async function round(system: SystemName, admin: SystemClient, fleet: Fleet, label: string, n: number, size: number, window: number, serverPid?: number): Promise<RoundResult> {
  const dest = destName(system, `${label}-${destinations++}`);
  await admin.create(dest);
  const cpu = () => (serverPid === undefined ? undefined : processCpuMs(serverPid));
  const c0 = cpu();
  const pub = await fleet.publish(dest, n, size, window);
  const c1 = cpu();
  await admin.prepareConsume(dest);
  const con = await fleet.consume(dest, n, window);
  const c2 = cpu();
  const perMessage = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : ((b - a) * 1000) / n);
  return { pub, con, pubServerUs: perMessage(c0, c1), conServerUs: perMessage(c1, c2) };
}
