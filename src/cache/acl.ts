// ACL users: passwords (SHA-256), enabled flag, command permissions built from +cmd -cmd
// +@category -@category rules, key and channel patterns, and selectors (more sets of those),
// with Redis's rule syntax (ACL SETUSER). The default user starts as "on nopass ~* &* +@all"; `requirepass` sets its
// password. Command permissions are Redis 7.0's: a bit per command and subcommand (acl.c's
// allowed_commands), the first arguments allowed of a command otherwise refused (`+select|0`),
// and ACL LIST's and GETUSER's description rebuilt from them as Redis rebuilds it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { globMatch } from './glob.js';

/** Redis's text for removing (<pass or !hash) a password the user does not have. */
const NO_SUCH_PASSWORD = 'The password you are trying to remove from the user does not exist';
const UNKNOWN_NAME = 'Unknown command or category name in ACL';
const SYNTAX = 'Syntax error';

/** A command as ACL rules see it: its full name ("get", "config", "config|get") and categories. */
export interface AclCommand {
  readonly name: string;
  readonly categories: readonly string[];
  /** A container's subcommands (none for other commands and for subcommands). */
  readonly subcommands: readonly AclCommand[];
  readonly isSubcommand: boolean;
}

/** The commands ACL rules range over. */
export interface AclCatalog {
  /** The top-level commands, each with its subcommands, in the table's order. */
  commands(): readonly AclCommand[];
  /** acl.c's ACLLookupCommand: a command, or "container|sub"; undefined for anything else. */
  find(name: string): AclCommand | undefined;
  categories(): readonly string[];
}

export class AclRuleError extends Error {
  constructor(
    message: string,
    readonly rule = '',
  ) {
    super(message);
  }
}

/** A key pattern and what it allows (acl.c's keyPattern). */
export interface KeyPattern {
  readonly pattern: string;
  read: boolean;
  write: boolean;
}

/**
 * What one set of rules allows (acl.c's aclSelector): commands, keys and channels. A user's own
 * rules are its root selector; each `(...)` rule adds another, and a command runs when one of
 * them allows all of it (key-access.ts's aclCheck).
 */
export class AclSelector {
  /** The full names of the commands allowed (Redis's command bits; a container has its own). */
  allowed = new Set<string>();
  /**
   * Redis's reserved bit for commands added later, which `+@all` sets and only `-@all` clears:
   * whether the description starts from `+@all` or from `-@all`.
   */
  future = false;
  /** Every command is allowed: the per-command check is skipped (cleared by any command taken away). */
  allCommands = false;
  /** The first arguments allowed of commands otherwise refused (`+select|0`), in the order added. */
  firstArgs = new Map<string, string[]>();
  /** `allkeys` (or `~*`): every key, every way; no pattern may follow. */
  allKeys = false;
  keyPatterns: KeyPattern[] = [];
  /** `allchannels` (or `&*`): every channel; no pattern may follow. */
  allChannels = false;
  channelPatterns: string[] = [];

  /** Some pattern allows only reading or only writing (%R~, %W~): keys are checked with how the command uses them. */
  get hasPartialPatterns(): boolean {
    return this.keyPatterns.some((p) => !p.read || !p.write);
  }

  /** Whether the command `name` may run with these arguments (acl.c's ACLSelectorCheckCmd). */
  canRun(name: string, argv: readonly string[]): boolean {
    if (this.allCommands || this.allowed.has(name)) return true;
    const first = argv[name.includes('|') ? 2 : 1]?.toLowerCase();
    return first !== undefined && this.firstArgs.get(name)?.some((a) => a.toLowerCase() === first) === true;
  }

  /** Whether a pattern allowing what the command does with `key` (read, write, both or neither) matches it. */
  canAccessKey(key: string, read: boolean, write: boolean): boolean {
    if (this.allKeys) return true;
    for (const p of this.keyPatterns) {
      if ((read && !p.read) || (write && !p.write)) continue;
      if (p.pattern === '*' || globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  canAccessChannel(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const p of this.channelPatterns) {
      // A pattern subscription is allowed only for the literal same pattern.
      if (isPattern ? p === channel : globMatch(p, channel)) return true;
    }
    return false;
  }

  /** The key patterns as ACL GETUSER shows them: `~p` for read and write, `%R~p`, `%W~p` ("" for none). */
  keysText(): string {
    if (this.allKeys) return '~*';
    return this.keyPatterns.map((p) => (p.read && p.write ? '~' : p.read ? '%R~' : '%W~') + p.pattern).join(' ');
  }

  /** The channel patterns as ACL GETUSER shows them. */
  channelsText(): string {
    return this.allChannels ? '&*' : this.channelPatterns.map((p) => '&' + p).join(' ');
  }

  /** A copy to change (ACL SETUSER applies its rules to copies: all or nothing). */
  copyRulesTo(to: AclSelector): void {
    to.allowed = new Set(this.allowed);
    to.future = this.future;
    to.allCommands = this.allCommands;
    to.firstArgs = new Map([...this.firstArgs].map(([name, args]) => [name, args.slice()]));
    to.allKeys = this.allKeys;
    to.keyPatterns = this.keyPatterns.map((p) => ({ ...p }));
    to.allChannels = this.allChannels;
    to.channelPatterns = this.channelPatterns.slice();
  }
}

export class AclUser extends AclSelector {
  enabled = false;
  nopass = false;
  readonly passwords = new Set<string>(); // hex SHA-256
  /**
   * `sanitize-payload` or `skip-sanitize-payload` as last set (shown, not acted on: RESTORE
   * checks every payload whole either way), or null.
   */
  payloadCheck: 'sanitize-payload' | 'skip-sanitize-payload' | null = null;
  /** The `(...)` selectors, besides the user's own rules. */
  selectors: AclSelector[] = [];

  constructor(readonly name: string) {
    super();
  }

  /** The root selector and the others, in the order a command is checked against them. */
  get allSelectors(): AclSelector[] {
    return [this, ...this.selectors];
  }

  checkPassword(password: string): boolean {
    if (this.nopass) return true;
    const h = Buffer.from(sha256(password), 'hex');
    for (const p of this.passwords) if (timingSafeEqual(h, Buffer.from(p, 'hex'))) return true;
    return false;
  }

  /** ACL GETUSER's flags. */
  flags(): string[] {
    const flags = [this.enabled ? 'on' : 'off'];
    if (this.nopass) flags.push('nopass');
    if (this.payloadCheck !== null) flags.push(this.payloadCheck);
    return flags;
  }

}

export function sha256(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');
}

export class AclStore {
  readonly users = new Map<string, AclUser>();

  constructor(private readonly catalog: AclCatalog) {
    this.users.set('default', this.newDefaultUser());
  }

  /** The default user as Redis creates it: every command, key and channel, no password. */
  private newDefaultUser(): AclUser {
    const d = new AclUser('default');
    this.apply(d, ['on', 'nopass', '~*', '&*', '+@all']);
    return d;
  }

  /**
   * ACL LOAD, and the start with an ACL file: the users of the file's `text` (Redis's format,
   * what ACL SAVE writes), all or nothing (acl.c's ACLLoadFromFile). Returns Redis's error text,
   * or null once the users are replaced: the default user keeps its identity (its clients stay
   * signed in), every other user is a new one, whose old clients the caller disconnects.
   */
  loadFile(text: string, filename: string): string | null {
    const loaded = new Map<string, AclUser>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const at = `${filename}:${i + 1}`;
      if (line === '') continue;
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${at} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1]!;
      if (loaded.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${i + 1}. `;
        continue;
      }
      const user = new AclUser(name);
      loaded.set(name, user);
      // As Redis: every unknown command is reported, of the other errors only the first.
      let reported = false;
      let args: string[];
      try {
        args = mergeSelectorArgs(argv.slice(2));
      } catch {
        errors += `${at}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      for (const raw of args) {
        const rule = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          this.applyRule(user, rule);
        } catch (err) {
          if (!(err instanceof AclRuleError)) throw err;
          if (err.message === UNKNOWN_NAME) errors += `${at}: Error in applying operation '${rule}': ${err.message}. `;
          else if (!reported) {
            errors += `${at}: ${err.message}. `;
            reported = true;
          }
        }
      }
    }
    if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    const d = this.defaultUser;
    Object.assign(d, loaded.get('default') ?? this.newDefaultUser());
    this.users.clear();
    this.users.set('default', d);
    for (const [name, user] of loaded) if (name !== 'default') this.users.set(name, user);
    return null;
  }

  /** The users in name order, as Redis's radix tree lists them (ACL LIST, USERS, SAVE). */
  sorted(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** ACL SAVE's file: one `user ...` line per user. */
  fileText(): string {
    return this.sorted()
      .map((u) => `${this.describe(u)}\n`)
      .join('');
  }

  /** ACL LIST's line of a user (acl.c's ACLDescribeUser): flags, password hashes, its rules, its selectors. */
  describe(user: AclUser): string {
    const parts = [`user ${user.name}`, ...user.flags()];
    for (const p of user.passwords) parts.push('#' + p);
    parts.push(this.describeSelector(user));
    for (const s of user.selectors) parts.push(`(${this.describeSelector(s)})`);
    return parts.join(' ');
  }

  /** A selector's rules (acl.c's ACLDescribeSelector): keys, channels, commands. */
  private describeSelector(sel: AclSelector): string {
    const parts: string[] = [];
    // No key patterns show as nothing, as in Redis (a user is created with none).
    if (sel.keysText() !== '') parts.push(sel.keysText());
    if (sel.allChannels) parts.push('&*');
    else parts.push('resetchannels', ...sel.channelPatterns.map((p) => '&' + p));
    parts.push(this.commandsText(sel));
    return parts.join(' ');
  }

  get defaultUser(): AclUser {
    return this.users.get('default')!;
  }

  /** ACL SETUSER: applies all rules to a copy, then replaces the user (all or nothing). */
  setUser(name: string, rules: readonly string[]): void {
    const existing = this.users.get(name);
    const user = new AclUser(name);
    if (existing !== undefined) {
      user.enabled = existing.enabled;
      user.nopass = existing.nopass;
      user.payloadCheck = existing.payloadCheck;
      for (const p of existing.passwords) user.passwords.add(p);
      existing.copyRulesTo(user);
      user.selectors = existing.selectors.map((sel) => {
        const copy = new AclSelector();
        sel.copyRulesTo(copy);
        return copy;
      });
    }
    this.apply(user, rules);
    if (existing !== undefined) Object.assign(existing, user);
    else this.users.set(name, user);
  }

  /** Sets the default user's only password, or none (requirepass ""). */
  setRequirePass(password: string): void {
    const d = this.defaultUser;
    this.apply(d, password === '' ? ['nopass'] : ['resetpass', '>' + password]);
  }

  apply(user: AclUser, rules: readonly string[]): void {
    for (const rule of mergeSelectorArgs(rules)) {
      try {
        this.applyRule(user, rule);
      } catch (err) {
        if (err instanceof AclRuleError) throw new AclRuleError(err.message, rule);
        throw err;
      }
    }
  }

  private applyRule(user: AclUser, rule: string): void {
    const lower = rule.toLowerCase();
    if (rule === '') return;
    if (lower === 'on') user.enabled = true;
    else if (lower === 'off') user.enabled = false;
    else if (lower === 'nopass') {
      user.nopass = true;
      user.passwords.clear();
    } else if (lower === 'resetpass') {
      user.nopass = false;
      user.passwords.clear();
    } else if (rule.startsWith('>')) {
      user.passwords.add(sha256(rule.slice(1)));
      user.nopass = false;
    } else if (rule.startsWith('#')) {
      user.passwords.add(passwordHash(rule.slice(1)));
      user.nopass = false;
    } else if (rule.startsWith('<') || rule.startsWith('!')) {
      const hash = rule.startsWith('<') ? sha256(rule.slice(1)) : passwordHash(rule.slice(1));
      if (!user.passwords.delete(hash)) throw new AclRuleError(NO_SUCH_PASSWORD);
    } else if (lower === 'sanitize-payload' || lower === 'skip-sanitize-payload') user.payloadCheck = lower;
    else if (lower === 'clearselectors') user.selectors = [];
    else if (rule.startsWith('(') && rule.endsWith(')')) user.selectors.push(this.newSelector(rule.slice(1, -1)));
    else if (lower === 'reset') {
      for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', 'sanitize-payload', 'clearselectors', '-@all']) this.applyRule(user, r);
    } else this.applySelectorRule(user, rule);
  }

  /** A `(...)` selector: no commands, keys or channels, then its rules (only those a selector takes). */
  private newSelector(rules: string): AclSelector {
    const sel = new AclSelector();
    for (const rule of rules.split(' ').filter((r) => r !== '')) this.applySelectorRule(sel, rule);
    return sel;
  }

  /** The rules of commands, keys and channels, which a user's root and its selectors take alike (acl.c's ACLSetSelector). */
  private applySelectorRule(sel: AclSelector, rule: string): void {
    const lower = rule.toLowerCase();
    if (lower === 'allkeys' || rule === '~*') {
      sel.allKeys = true;
      sel.keyPatterns = [];
    } else if (lower === 'resetkeys') {
      sel.allKeys = false;
      sel.keyPatterns = [];
    } else if (lower === 'allchannels' || rule === '&*') {
      sel.allChannels = true;
      sel.channelPatterns = [];
    } else if (lower === 'resetchannels') {
      sel.allChannels = false;
      sel.channelPatterns = [];
    } else if (lower === 'allcommands' || lower === '+@all') this.setAll(sel, true);
    else if (lower === 'nocommands' || lower === '-@all') this.setAll(sel, false);
    else if (rule.startsWith('~') || rule.startsWith('%')) this.addKeyPattern(sel, rule);
    else if (rule.startsWith('&')) this.addChannelPattern(sel, rule.slice(1));
    else if ((rule.startsWith('+') || rule.startsWith('-')) && rule[1] === '@') this.setCategory(sel, lower.slice(2), rule[0] === '+');
    else if (rule.startsWith('+')) this.allowCommand(sel, rule.slice(1));
    else if (rule.startsWith('-')) {
      const cmd = this.catalog.find(lower.slice(1));
      if (cmd === undefined) throw new AclRuleError(UNKNOWN_NAME);
      changePerm(sel, cmd, false);
    } else throw new AclRuleError(SYNTAX);
  }

  /** `+@all` or `-@all`: every command bit, the bit for commands added later too. */
  private setAll(sel: AclSelector, on: boolean): void {
    sel.allowed = new Set(on ? this.allNames() : []);
    sel.future = on;
    sel.allCommands = on;
    sel.firstArgs.clear();
  }

  private allNames(): string[] {
    return this.catalog.commands().flatMap((c) => [c.name, ...c.subcommands.map((sub) => sub.name)]);
  }

  /** `+@category` or `-@category`: each command in it, a container with all its subcommands. */
  private setCategory(sel: AclSelector, category: string, on: boolean): void {
    if (!this.catalog.categories().includes(category)) throw new AclRuleError(UNKNOWN_NAME);
    for (const cmd of this.catalog.commands()) {
      if (cmd.categories.includes(category)) changePerm(sel, cmd, on);
      for (const sub of cmd.subcommands) if (sub.categories.includes(category)) changePerm(sel, sub, on);
    }
  }

  /**
   * `+command`, `+container|subcommand`, or `+command|first-arg`: a command that is not a
   * container then runs with that first argument only (Redis keeps this for `+select|0`).
   */
  private allowCommand(sel: AclSelector, name: string): void {
    const bar = name.lastIndexOf('|');
    const cmd = this.catalog.find((bar < 0 ? name : name.slice(0, bar)).toLowerCase());
    if (cmd === undefined) throw new AclRuleError(UNKNOWN_NAME);
    if (bar < 0) return changePerm(sel, cmd, true);
    if (cmd.isSubcommand) throw new AclRuleError('Allowing first-arg of a subcommand is not supported');
    const arg = name.slice(bar + 1);
    if (arg === '') throw new AclRuleError(SYNTAX);
    if (cmd.subcommands.length > 0) {
      const sub = this.catalog.find(name.toLowerCase());
      if (sub === undefined) throw new AclRuleError(UNKNOWN_NAME);
      return changePerm(sel, sub, true);
    }
    const args = sel.firstArgs.get(cmd.name) ?? [];
    if (!args.some((a) => a.toLowerCase() === arg.toLowerCase())) args.push(arg);
    sel.firstArgs.set(cmd.name, args);
  }

  /** `~pattern` (read and write) or `%R~`, `%W~`, `%RW~` (acl.c's ACLSetSelector; `%R` alone is the empty pattern). */
  private addKeyPattern(user: AclSelector, rule: string): void {
    if (user.allKeys) throw new AclRuleError("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    let read = true;
    let write = true;
    let at = 1;
    if (rule[0] === '%') {
      read = write = false;
      for (; at < rule.length; at++) {
        const c = rule[at]!.toUpperCase();
        if (c === 'R' && !read) read = true;
        else if (c === 'W' && !write) write = true;
        else if (c === '~') break;
        else throw new AclRuleError(SYNTAX);
      }
      if (!read && !write) throw new AclRuleError(SYNTAX);
      at++;
    }
    const pattern = rule.slice(at);
    if (HAS_SPACE.test(pattern)) throw new AclRuleError(SYNTAX);
    const same = user.keyPatterns.find((p) => p.pattern === pattern);
    if (same === undefined) user.keyPatterns.push({ pattern, read, write });
    else {
      same.read ||= read;
      same.write ||= write;
    }
  }

  private addChannelPattern(sel: AclSelector, pattern: string): void {
    if (sel.allChannels) throw new AclRuleError("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels");
    if (HAS_SPACE.test(pattern)) throw new AclRuleError(SYNTAX);
    if (!sel.channelPatterns.includes(pattern)) sel.channelPatterns.push(pattern);
  }

  /**
   * The command rules of ACL LIST and GETUSER, rebuilt from the bits as Redis 7.0 rebuilds them
   * (acl.c's ACLDescribeSelectorCommandRules): `+@all` or `-@all`, then the category that best
   * fits what is left (most commands right, fewest wrong) while one fits, then each command
   * that still differs, a container before its subcommands, then the first arguments allowed.
   */
  commandsText(sel: AclSelector): string {
    const additive = !sel.future;
    const rules = [additive ? '-@all' : '+@all'];
    const fake = new AclSelector();
    this.setAll(fake, !additive);
    // The bits not yet explained: a category applied is taken out of them.
    const temp = new AclSelector();
    temp.allowed = new Set(sel.allowed);
    const applied = new Set<string>();
    for (;;) {
      let best: string | null = null;
      let minDiff = 2 ** 31 - 1;
      let maxSame = 0;
      for (const category of this.catalog.categories()) {
        if (applied.has(category)) continue;
        const [on, off] = this.countCategory(temp, category);
        const [diff, same] = additive ? [off, on] : [on, off];
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = category;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === null) break;
      this.setCategory(fake, best, additive);
      this.setCategory(temp, best, !additive);
      rules.push(`${additive ? '+' : '-'}@${best}`);
      applied.add(best);
    }
    for (const cmd of this.catalog.commands()) {
      for (const c of [cmd, ...cmd.subcommands]) {
        const on = sel.allowed.has(c.name);
        if (on === fake.allowed.has(c.name)) continue;
        rules.push(`${on ? '+' : '-'}${c.name}`);
        changePerm(fake, c, on);
      }
      if (!sel.allowed.has(cmd.name)) for (const arg of sel.firstArgs.get(cmd.name) ?? []) rules.push(`+${cmd.name}|${arg}`);
    }
    return rules.join(' ');
  }

  /** The commands of a category (containers and subcommands each counted) allowed, and not. */
  private countCategory(sel: AclSelector, category: string): [number, number] {
    let on = 0;
    let off = 0;
    for (const cmd of this.catalog.commands()) {
      for (const c of [cmd, ...cmd.subcommands]) {
        if (!c.categories.includes(category)) continue;
        if (sel.allowed.has(c.name)) on++;
        else off++;
      }
    }
    return [on, off];
  }
}

/** acl.c's ACLStringHasSpaces: C's isspace, or a NUL. */
const HAS_SPACE = /[ \t\n\v\f\r\0]/;

/** Whether a user name is one ACL SETUSER takes (no spaces or NULs). */
export function validUserName(name: string): boolean {
  return !HAS_SPACE.test(name);
}

/** A `#hash` or `!hash` rule's hash: 64 lower-case hex digits. */
function passwordHash(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError('The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters');
  return hash;
}

/**
 * Allows or refuses one command (acl.c's ACLChangeSelectorPerm): its bit, and a container's
 * subcommands' bits with it; its first arguments are forgotten.
 */
function changePerm(sel: AclSelector, cmd: AclCommand, on: boolean): void {
  for (const c of [cmd, ...cmd.subcommands]) {
    if (on) sel.allowed.add(c.name);
    else {
      sel.allowed.delete(c.name);
      sel.allCommands = false;
    }
  }
  sel.firstArgs.delete(cmd.name);
}

/**
 * ACL rules as given, with a selector written over several arguments ("(+get", "~key)") made
 * one (acl.c's ACLMergeSelectorArguments); an unclosed one is an error naming where it began.
 */
function mergeSelectorArgs(rules: readonly string[]): string[] {
  const out: string[] = [];
  // The selector being gathered and the argument it began with; an unclosed "(" starts anew.
  let open: { text: string; start: string } | null = null;
  for (const rule of rules) {
    if (rule.startsWith('(') && !rule.endsWith(')')) {
      open = { text: rule, start: rule };
      continue;
    }
    if (open !== null) {
      open.text += ` ${rule}`;
      if (rule.endsWith(')')) {
        out.push(open.text);
        open = null;
      }
      continue;
    }
    out.push(rule);
  }
  if (open !== null) throw new UnmatchedSelector(open.start);
  return out;
}

/** A selector's "(" never closed: ACL SETUSER's error is not one rule's. */
export class UnmatchedSelector extends Error {
  constructor(readonly start: string) {
    super(`Unmatched parenthesis in acl selector starting at '${start}'.`);
  }
}
