// The log the multi-process test and the benchmark run their groups on.
// Until the foundation log (src/log, branch `log`) is merged, this is the in-memory log: the
// processes then lose their log on SIGKILL and the restarted node catches up from its peers.
import type { OpenLog } from './cluster.js';
import { memoryLogs } from './cluster.js';

export const openLog: OpenLog = memoryLogs;
