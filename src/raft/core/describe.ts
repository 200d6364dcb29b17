// Human-readable one-line forms of entries, messages and Ready batches: the language of the
// scripted interaction tests (test/raft/testdata) and of debug logs.
import { EntryType } from '../group.js';
import { decodeConfChange, describeConf, describeConfChange } from './confchange.js';
import { MessageType, messageTypeName, type Entry, type Message, type Ready } from './types.js';

const MAX_PAYLOAD_CHARS = 24;

export function describeEntry(e: Entry): string {
  const head = `${e.index}/${e.term}`;
  switch (e.type) {
    case EntryType.Noop:
      return `${head} noop`;
    case EntryType.ConfChange:
      return `${head} conf ${describeConfChange(decodeConfChange(e.payload))}`;
    default: {
      const text = e.payload.toString('utf8');
      const shown = text.length > MAX_PAYLOAD_CHARS ? `${text.slice(0, MAX_PAYLOAD_CHARS)}…` : text;
      return `${head} ${JSON.stringify(shown)}`;
    }
  }
}

export function describeMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${messageTypeName[m.type] ?? `type${m.type}`} term=${m.term}`];
  switch (m.type) {
    case MessageType.App:
      parts.push(`log=${m.index}/${m.logTerm} commit=${m.commit}`);
      if (m.entries.length > 0) parts.push(`entries=[${m.entries.map(describeEntry).join(', ')}]`);
      break;
    case MessageType.AppResp:
      parts.push(m.reject ? `rejected index=${m.index} hint=${m.rejectHint}/${m.logTerm}` : `index=${m.index}`);
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      parts.push(`log=${m.index}/${m.logTerm}`);
      if (m.context === 1) parts.push('transfer');
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      if (m.reject) parts.push('rejected');
      break;
    case MessageType.Heartbeat:
      parts.push(`commit=${m.commit} seq=${m.context}`);
      break;
    case MessageType.HeartbeatResp:
      parts.push(`seq=${m.context}`);
      break;
    case MessageType.Snap:
      parts.push(`snapshot=${m.snapshot!.index}/${m.snapshot!.term} ${describeConf(m.snapshot!.conf)}`);
      break;
    case MessageType.ReadIndex:
      parts.push(`read=${m.context}`);
      break;
    case MessageType.ReadIndexResp:
      parts.push(`read=${m.context} index=${m.index}`);
      break;
    default:
      break;
  }
  return parts.join(' ');
}

/** Multi-line description of a Ready, indented by two spaces, no blank lines. */
export function describeReady(rd: Ready): string[] {
  const out: string[] = [];
  if (rd.softState) out.push(`  State: ${rd.softState.role} lead=${rd.softState.lead}`);
  if (rd.hardState) out.push(`  HardState term=${rd.hardState.term} vote=${rd.hardState.vote} commit=${rd.hardState.commit}`);
  if (rd.snapshotWanted) out.push('  Snapshot wanted');
  if (rd.snapshot) out.push(`  Snapshot ${rd.snapshot.index}/${rd.snapshot.term} ${describeConf(rd.snapshot.conf)}`);
  const list = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`  ${title}:`);
    for (const l of lines) out.push(`    ${l}`);
  };
  list('Entries', rd.entries.map(describeEntry));
  list('Committed', rd.committed.map(describeEntry));
  list('Messages', rd.messages.map(describeMessage));
  list('After persist', rd.persistedMessages.map(describeMessage));
  list('ReadStates', rd.readStates.map((r) => `read=${r.id} index=${r.index}`));
  list('Dropped reads', rd.droppedReads.map((id) => `read=${id}`));
  return out;
}
