// The command table: every command Depot's RESP server knows, by lower-case name, with
// subcommands as "parent|sub". COMMAND, ACL rules and the dispatcher all read it.
import type { AclCatalog, AclCommand } from '../acl.js';
import { aclCommandsTable } from './acl-commands.js';
import { bitfieldCommands } from './bitfield.js';
import { bitmapCommands } from './bitmaps.js';
import { lcsCommands } from './lcs.js';
import { sortCommands } from './sort.js';
import { geoCommands } from './geo.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { streamCommands } from './streams.js';
import { streamGroupCommands } from './stream-groups.js';
import { streamInfoCommands } from './stream-info.js';
import { streamReadCommands } from './stream-read.js';
import { clusterCommands } from './cluster.js';
import { connectionCommands } from './connection.js';
import type { CommandSpec } from './context.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import { lolwutCommands } from './lolwut.js';
import { memoryCommands } from './memory.js';
import { monitorCommands } from './monitor.js';
import { replicationCommands } from './replication.js';
import { pubsubCommandsTable } from './pubsub.js';
import type { CommandCatalog } from './server-api.js';
import { dumpCommands } from './dump.js';
import { migrateCommands } from './migrate.js';
import { functionsCommands } from './functions.js';
import { scriptingCommands } from './scripting.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { latencyCommands } from './latency.js';
import { slowlogCommands } from './slowlog.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';
import { zsetCommands } from './zsets.js';
import { ACL_CATEGORIES } from './spec.js';

export class CommandTable implements CommandCatalog, AclCatalog {
  private readonly byName = new Map<string, CommandSpec>();
  /** Top-level and sub commands by full name, for ACL rules. */
  private readonly fullNames = new Map<string, CommandSpec>();
  private readonly categoryList: string[];
  /** The commands as ACL rules see them, in the table's order. */
  private readonly aclCommands: AclCommand[];
  private readonly aclByName = new Map<string, AclCommand>();
  /** The last name `lookup` found, and its spec. */
  private lastName = '';
  private lastSpec: CommandSpec | undefined;

  constructor(specs: readonly CommandSpec[] = ALL_COMMANDS) {
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new Error(`duplicate command ${s.name}`);
      this.byName.set(s.name, s);
      // Upper case is what clients send: a second entry saves a toLowerCase per command.
      this.byName.set(s.name.toUpperCase(), s);
      if (s.subcommands === undefined) this.fullNames.set(s.name, s);
      else for (const sub of s.subcommands.values()) this.fullNames.set(sub.name, sub);
    }
    const cats = new Set<string>();
    for (const s of this.fullNames.values()) for (const c of s.categories) cats.add(c);
    this.categoryList = ACL_CATEGORIES.filter((c) => cats.has(c));
    const aclCommand = (s: CommandSpec, isSubcommand: boolean): AclCommand => ({
      name: s.name,
      categories: s.categories,
      subcommands: s.subcommands === undefined ? [] : [...s.subcommands.values()].map((sub) => aclCommand(sub, true)),
      isSubcommand,
    });
    this.aclCommands = [...this.all()].map((s) => aclCommand(s, false));
    for (const c of this.aclCommands) this.aclByName.set(c.name, c);
  }

  /** The command named `name` in any case, or undefined. */
  lookup(name: string): CommandSpec | undefined {
    // Pipelines and busy servers run one command many times in a row: comparing a few
    // characters is cheaper than hashing each freshly decoded name for the map.
    if (name === this.lastName) return this.lastSpec;
    const spec = this.byName.get(name) ?? this.byName.get(name.toLowerCase());
    if (spec !== undefined) {
      this.lastName = name;
      this.lastSpec = spec;
    }
    return spec;
  }

  /** The spec a command line runs: its subcommand's when it has any; undefined for an unknown name or subcommand. */
  specOf(argv: readonly string[]): CommandSpec | undefined {
    const parent = this.lookup(argv[0]!);
    if (parent?.subcommands === undefined || argv.length < 2) return parent;
    return parent.subcommands.get(argv[1]!.toLowerCase());
  }

  get(name: string): CommandSpec | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf('|');
    if (bar < 0) return this.byName.get(lower);
    return this.byName.get(lower.slice(0, bar))?.subcommands?.get(lower.slice(bar + 1));
  }

  *all(): Iterable<CommandSpec> {
    for (const [name, s] of this.byName) if (name === s.name) yield s;
  }

  get count(): number {
    return this.byName.size / 2;
  }

  commands(): readonly AclCommand[] {
    return this.aclCommands;
  }

  find(name: string): AclCommand | undefined {
    const lower = name.toLowerCase();
    const [base, sub, more] = lower.split('|');
    if (more !== undefined) return undefined;
    const cmd = this.aclByName.get(base!);
    return sub === undefined ? cmd : cmd?.subcommands.find((s) => s.name === lower);
  }

  categories(): readonly string[] {
    return this.categoryList;
  }
}

export const ALL_COMMANDS: readonly CommandSpec[] = [
  ...stringCommands,
  ...bitmapCommands,
  ...bitfieldCommands,
  ...hyperloglogCommands,
  ...streamCommands,
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
  ...geoCommands,
  ...sortCommands,
  ...lcsCommands,
  ...keyCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...zsetCommands,
  ...transactionCommands,
  ...pubsubCommandsTable,
  ...connectionCommands,
  ...clusterCommands,
  ...serverCommands,
  ...lolwutCommands,
  ...memoryCommands,
  ...scriptingCommands,
  ...functionsCommands,
  ...dumpCommands,
  ...migrateCommands,
  ...slowlogCommands,
  ...latencyCommands,
  ...monitorCommands,
  ...replicationCommands,
  ...aclCommandsTable,
];
