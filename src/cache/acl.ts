// ACL users: passwords (SHA-256), enabled flag, command permissions built from +cmd -cmd
// +@category -@category rules, key and channel patterns, and selectors (more sets of those),
// with Redis's rule syntax (ACL SETUSER). The default user starts as "on nopass ~* &* +@all"; `requirepass` sets its
// password.
import { createHash, timingSafeEqual } from 'node:crypto';
import { globMatch } from './glob.js';

/** Redis's text for removing (<pass or !hash) a password the user does not have. */
const NO_SUCH_PASSWORD = 'The password you are trying to remove from the user does not exist';
const UNKNOWN_NAME = 'Unknown command or category name in ACL';

/** The commands ACL rules range over: full names ("get", "config|get") and their categories. */
export interface AclCatalog {
  commandNames(): Iterable<string>;
  categoriesOf(name: string): readonly string[];
  categories(): readonly string[];
  /** Whether a command or "parent|sub" name exists. */
  has(name: string): boolean;
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
  /** Command rules as given since the last reset, re-applied when describing the user. */
  commandRules: string[] = ['-@all'];
  allowed = new Set<string>();
  /** Every command is allowed: the per-command check is skipped. */
  allCommands = false;
  /** `allkeys` (or `~*`): every key, every way; no pattern may follow. */
  allKeys = false;
  keyPatterns: KeyPattern[] = [];
  channelPatterns: string[] = [];

  /** Some pattern allows only reading or only writing (%R~, %W~): keys are checked with how the command uses them. */
  get hasPartialPatterns(): boolean {
    return this.keyPatterns.some((p) => !p.read || !p.write);
  }

  canRun(fullName: string): boolean {
    return this.allCommands || this.allowed.has(fullName);
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
    for (const p of this.channelPatterns) {
      if (p === '*') return true;
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
    return this.channelPatterns.map((p) => '&' + p).join(' ');
  }

  /** The ACL LIST / ACL GETUSER description of the command rules. */
  commandsText(): string {
    return this.commandRules.join(' ');
  }

  /** ACL LIST's description of these rules (acl.c's ACLDescribeSelector): keys, channels, commands. */
  describeRules(): string {
    const parts: string[] = [];
    // No key patterns show as nothing, as in Redis (a user is created with none).
    if (this.keysText() !== '') parts.push(this.keysText());
    if (this.channelPatterns.includes('*')) parts.push('&*');
    else parts.push('resetchannels', ...this.channelPatterns.map((p) => '&' + p));
    parts.push(this.commandsText());
    return parts.join(' ');
  }

  /** A copy to change (ACL SETUSER applies its rules to copies: all or nothing). */
  copyRulesTo(to: AclSelector): void {
    to.commandRules = this.commandRules.slice();
    to.allKeys = this.allKeys;
    to.keyPatterns = this.keyPatterns.map((p) => ({ ...p }));
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

  describe(): string {
    const parts = [`user ${this.name}`, ...this.flags()];
    for (const p of this.passwords) parts.push('#' + p);
    parts.push(this.describeRules());
    for (const s of this.selectors) parts.push(`(${s.describeRules()})`);
    return parts.join(' ');
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
      for (const sel of user.allSelectors) this.recompute(sel);
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
      .map((u) => `${u.describe()}\n`)
      .join('');
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
    for (const sel of user.allSelectors) this.recompute(sel);
  }

  private applyRule(user: AclUser, rule: string): void {
    const lower = rule.toLowerCase();
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
    } else if (rule.startsWith('<')) {
      if (!user.passwords.delete(sha256(rule.slice(1)))) throw new AclRuleError(NO_SUCH_PASSWORD);
    } else if (rule.startsWith('#')) {
      if (!/^[0-9a-f]{64}$/.test(rule.slice(1))) throw new AclRuleError('The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters');
      user.passwords.add(rule.slice(1));
      user.nopass = false;
    } else if (rule.startsWith('!')) {
      if (!user.passwords.delete(rule.slice(1))) throw new AclRuleError(NO_SUCH_PASSWORD);
    } else if (lower === 'sanitize-payload' || lower === 'skip-sanitize-payload') user.payloadCheck = lower;
    else if (lower === 'clearselectors') user.selectors = [];
    else if (rule.startsWith('(') && rule.endsWith(')')) user.selectors.push(this.newSelector(rule.slice(1, -1)));
    else if (lower === 'reset') {
      for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', 'sanitize-payload', 'clearselectors', 'nocommands']) this.applyRule(user, r);
    } else this.applySelectorRule(user, rule);
  }

  /** A `(...)` selector: no commands, keys or channels, then its rules (only those a selector takes). */
  private newSelector(rules: string): AclSelector {
    const sel = new AclSelector();
    for (const rule of rules.split(' ').filter((r) => r !== '')) this.applySelectorRule(sel, rule);
    return sel;
  }

  /** The rules of commands, keys and channels, which a user's root and its selectors take alike. */
  private applySelectorRule(sel: AclSelector, rule: string): void {
    const lower = rule.toLowerCase();
    if (lower === 'allkeys' || rule === '~*') {
      sel.allKeys = true;
      sel.keyPatterns = [];
    } else if (lower === 'resetkeys') {
      sel.allKeys = false;
      sel.keyPatterns = [];
    } else if (rule.startsWith('~') || rule.startsWith('%')) this.addKeyPattern(sel, rule);
    else if (lower === 'allchannels' || rule === '&*') sel.channelPatterns = ['*'];
    else if (lower === 'resetchannels') sel.channelPatterns = [];
    else if (rule.startsWith('&')) this.addPattern(sel.channelPatterns, rule.slice(1));
    else if (lower === 'allcommands') sel.commandRules = ['+@all'];
    else if (lower === 'nocommands') sel.commandRules = ['-@all'];
    else if (rule.startsWith('+') || rule.startsWith('-')) this.addCommandRule(sel, lower);
    else throw new AclRuleError('Syntax error');
  }

  /** `~pattern` (read and write) or `%R~`, `%W~`, `%RW~` (acl.c's ACLSetSelector). */
  private addKeyPattern(user: AclSelector, rule: string): void {
    if (user.allKeys) throw new AclRuleError("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    let read = true;
    let write = true;
    let at = 1;
    if (rule[0] === '%') {
      read = write = false;
      for (;; at++) {
        const c = rule[at]?.toUpperCase();
        if (c === 'R' && !read) read = true;
        else if (c === 'W' && !write) write = true;
        else if (c === '~') break;
        else throw new AclRuleError('Syntax error');
      }
      at++;
    }
    const pattern = rule.slice(at);
    if (/\s/.test(pattern)) throw new AclRuleError('Syntax error');
    const same = user.keyPatterns.find((p) => p.pattern === pattern);
    if (same === undefined) user.keyPatterns.push({ pattern, read, write });
    else {
      same.read ||= read;
      same.write ||= write;
    }
  }

  private addPattern(list: string[], pattern: string): void {
    if (list.includes('*')) return;
    if (!list.includes(pattern)) list.push(pattern);
  }

  private addCommandRule(user: AclSelector, rule: string): void {
    const name = rule.slice(1);
    if (name.startsWith('@')) {
      if (name !== '@all' && !this.catalog.categories().includes(name.slice(1))) throw new AclRuleError(UNKNOWN_NAME);
      if (name === '@all') {
        user.commandRules = [rule];
        return;
      }
    } else if (!this.catalog.has(name)) {
      throw new AclRuleError(UNKNOWN_NAME);
    }
    user.commandRules = user.commandRules.filter((r) => r.slice(1) !== name);
    user.commandRules.push(rule);
  }

  /** Rebuilds the allowed-command set from the rules, in order. */
  private recompute(user: AclSelector): void {
    const allowed = new Set<string>();
    for (const rule of user.commandRules) {
      const add = rule[0] === '+';
      const target = rule.slice(1);
      const names: string[] = [];
      if (target === '@all') names.push(...this.catalog.commandNames());
      else if (target.startsWith('@')) {
        const cat = target.slice(1);
        for (const n of this.catalog.commandNames()) if (this.catalog.categoriesOf(n).includes(cat)) names.push(n);
      } else {
        names.push(target);
        // A parent command covers its subcommands.
        if (!target.includes('|')) for (const n of this.catalog.commandNames()) if (n.startsWith(target + '|')) names.push(n);
      }
      for (const n of names) {
        if (add) allowed.add(n);
        else allowed.delete(n);
      }
    }
    user.allowed = allowed;
    let all = true;
    for (const n of this.catalog.commandNames()) {
      if (!allowed.has(n)) {
        all = false;
        break;
      }
    }
    user.allCommands = all;
  }
}

/**
 * ACL rules as given, with a selector written over several arguments ("(+get", "~key)") made
 * one (acl.c's ACLMergeSelectorArguments); an unclosed one is an error naming where it began.
 */
function mergeSelectorArgs(rules: readonly string[]): string[] {
  const out: string[] = [];
  let open: string | null = null;
  for (const rule of rules) {
    if (open === null && rule.startsWith('(') && !rule.endsWith(')')) {
      open = rule;
      continue;
    }
    if (open !== null) {
      open += ` ${rule}`;
      if (rule.endsWith(')')) {
        out.push(open);
        open = null;
      }
      continue;
    }
    out.push(rule);
  }
  if (open !== null) throw new UnmatchedSelector(open.split(' ')[0]!);
  return out;
}

/** A selector's "(" never closed: ACL SETUSER's error is not one rule's. */
export class UnmatchedSelector extends Error {
  constructor(readonly start: string) {
    super(`Unmatched parenthesis in acl selector starting at '${start}'.`);
  }
}
