/**
 * The configuration: one zod schema with a default for every setting, filled
 * from (later wins) the defaults, `--dev`, a YAML file, SWITCHBOARD_*
 * environment variables and command-line flags.
 *
 * Every value remembers where it came from, so that a refusal names both the
 * setting and its source ("invalid setting turn.maxPort (from
 * SWITCHBOARD_TURN_MAX_PORT): must be ≤ 65535"). Lists are replaced, not
 * appended, by a later source: what `--user` says is the whole list of users.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import type { ListenAddress, TurnServerOptions } from '../turn/options.js';
import { ipFamily, parseCidr, parseHostPort } from '../util/ip.js';
import type { Log } from '../util/log.js';
import type { DevCredentials } from './dev.js';
import { ConfigError } from './errors.js';

/** Log levels, most verbose first; `silent` turns logging off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

// ---------------------------------------------------------------------------
// Field schemas

/** Text that must satisfy a predicate; `problem` phrases the refusal (it may quote the value). */
function checkedText(isValid: (text: string) => boolean, problem: (text: string) => string) {
  return z.string().superRefine((text, ctx) => {
    if (!isValid(text)) ctx.addIssue({ code: 'custom', message: problem(text) });
  });
}

const port = z.number().int().min(1).max(65535);
const count = z.number().int().min(0);
// A day: longer lifetimes only keep dead allocations around, and stay far from timer overflow (2^31 ms).
const seconds = z.number().int().min(1).max(86_400);

const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const parsed = parseHostPort(text);
  if (parsed && ipFamily(parsed.host) !== 0) return parsed;
  ctx.addIssue({ code: 'custom', message: `"${text}" is not IP:PORT (IPv6 in brackets, as [::]:3478)` });
  return z.NEVER;
});

const ipAddress = checkedText(
  (text) => ipFamily(text) !== 0,
  (text) => `"${text}" is not an IP address`,
);

const cidrBlock = checkedText(
  (text) => parseCidr(text) !== undefined,
  (text) => `"${text}" is not an address or CIDR block (such as 10.0.0.0/8 or fc00::/7)`,
);

/** coturn's external-ip forms: "PUBLIC" or "PUBLIC/PRIVATE", both of one family. */
function isExternalIp(text: string): boolean {
  const parts = text.split('/');
  if (parts.length > 2) return false;
  const family = ipFamily(parts[0]);
  return family !== 0 && (parts.length === 1 || ipFamily(parts[1]) === family);
}

const externalIp = checkedText(isExternalIp, (text) => `"${text}" is not PUBLIC-IP or PUBLIC-IP/PRIVATE-IP`);

// Static user names never contain ':' so that they cannot be mistaken for TURN
// REST API usernames ("expiry:user") when both schemes are active.
const userName = z
  .string()
  .min(1)
  .refine((name) => !name.includes(':'), "must not contain ':' (it separates TURN REST API usernames)")
  // RFC 8489 §14.3: USERNAME is fewer than 509 bytes.
  .refine((name) => Buffer.byteLength(name, 'utf8') < 509, 'must be shorter than 509 bytes');

/**
 * Normalizes a user entry: "name:password" is split at the first colon
 * (passwords may hold colons); a mapping passes if it has no keys but name and
 * password. Anything else becomes null, which the object schema refuses with
 * one message rather than a list of what each field lacks.
 */
function normalizeUser(value: unknown): unknown {
  if (typeof value === 'string') {
    const colon = value.indexOf(':');
    return colon === -1 ? null : { name: value.slice(0, colon), password: value.slice(colon + 1) };
  }
  if (isTree(value) && Object.keys(value).every((key) => key === 'name' || key === 'password')) return value;
  return null;
}

const user = z.preprocess(
  normalizeUser,
  z.strictObject(
    { name: userName, password: z.string().min(1) },
    { error: 'must be NAME:PASSWORD or a mapping with name and password' },
  ),
);

const users = z.array(user).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((entry, index) => {
    if (seen.has(entry.name)) {
      ctx.addIssue({ code: 'custom', message: `user "${entry.name}" is listed twice`, path: [index] });
    }
    seen.add(entry.name);
  });
});

// The TURN server binds at most one relay address per family (options.ts).
const relayIps = z.array(ipAddress).superRefine((list, ctx) => {
  const families = new Set<number>();
  list.forEach((ip, index) => {
    const family = ipFamily(ip);
    if (families.has(family)) {
      ctx.addIssue({ code: 'custom', message: `at most one IPv${family} relay address`, path: [index] });
    }
    families.add(family);
  });
});

// ---------------------------------------------------------------------------
// The schema

const logSection = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
});

const httpSection = z.strictObject({
  listen: z.array(listenAddress).default([]),
});

/** "KEY:SECRET", split at the first colon; keys are ids, secrets at least 32 characters (HS256). */
const apiKey = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const colon = value.indexOf(':');
    return colon === -1 ? null : { key: value.slice(0, colon), secret: value.slice(colon + 1) };
  },
  z.strictObject(
    {
      key: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, _ . or -'),
      secret: z.string().min(32, 'must be at least 32 characters'),
    },
    { error: 'must be KEY:SECRET' },
  ),
);

const signalingSection = z.strictObject({
  apiKeys: z.array(apiKey).default([]),
  roomMode: z.enum(['sfu', 'p2p']).default('sfu'),
  maxParticipants: z.number().int().min(1).max(10_000).default(100),
  emptyTimeout: seconds.default(30),
  resumeGrace: seconds.default(15),
  maxConnections: z.number().int().min(1).max(1_000_000).default(20_000),
  turnCredentialTtl: seconds.default(21_600),
  turnHost: z.string().min(1).max(253).optional(),
  externalTurnUrls: z
    .array(z.string().regex(/^(stun|stuns|turn|turns):[^\s]+$/, 'must be a stun:, turn: or turns: URL'))
    .default([]),
  externalTurnSecret: z.string().min(1).optional(),
});

const turnSection = z
  .strictObject({
    listen: z.array(listenAddress).min(1).prefault(['0.0.0.0:3478']),
    realm: z.string().min(1).max(127).default('switchboard'), // RFC 8489 §14.9: fewer than 128 characters
    users: users.prefault([]),
    authSecrets: z.array(z.string().min(1)).default([]),
    relayIps: relayIps.default([]),
    externalIps: z.array(externalIp).default([]),
    minPort: port.default(49152),
    maxPort: port.default(65535),
    allowLoopbackPeers: z.boolean().default(false),
    allowPeers: z.array(cidrBlock).default([]),
    denyPeers: z.array(cidrBlock).default([]),
    userQuota: count.default(0),
    totalQuota: count.default(0),
    maxLifetime: seconds.default(3600),
    nonceLifetime: seconds.default(600),
    software: z.string().max(127).default('Switchboard'), // RFC 8489 §14.14: fewer than 128 characters
    tlsListen: z.array(listenAddress).default([]),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    allocationBandwidth: count.default(0),
    userBandwidth: count.default(0),
    totalBandwidth: count.default(0),
    alternateServer: listenAddress.optional(),
    threads: z.number().int().min(0).max(64).default(0),
  })
  .superRefine((turn, ctx) => {
    if ((turn.cert === undefined) !== (turn.key === undefined)) {
      const missing = turn.cert === undefined ? 'cert' : 'key';
      ctx.addIssue({
        code: 'custom',
        message: `is needed with turn.${missing === 'cert' ? 'key' : 'cert'}`,
        path: [missing],
      });
    }
    if (turn.tlsListen.length > 0 && turn.cert === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs turn.cert and turn.key', path: ['tlsListen'] });
    }
    if (turn.minPort > turn.maxPort) {
      ctx.addIssue({
        code: 'custom',
        message: `must be ≥ turn.minPort, which is ${turn.minPort}`,
        path: ['maxPort'],
        params: { related: 'turn.minPort' },
      });
    }
  });

const mediaSection = z.strictObject({
  addresses: z.array(z.string().refine((text) => isIP(text) !== 0, 'must be an IP address')).default([]),
  udpPort: z.number().int().min(0).max(65535).default(7882),
  tcpPort: z.number().int().min(0).max(65535).default(7881),
  announcedAddress: z
    .string()
    .refine((text) => isIP(text) !== 0, 'must be an IP address')
    .optional(),
  maxIncomingBitrate: z.number().int().min(50_000).max(100_000_000).default(2_500_000),
  workers: z.number().int().min(-1).max(64).default(-1),
});

const recordingSection = z.strictObject({
  /** Where recordings go, one directory per recording; relative to the working directory. */
  dir: z.string().min(1).max(4096).default('./recordings'),
});

/**
 * The whole configuration; unknown keys are refused so that a typo in a file
 * is an error rather than a silently ignored setting.
 */
export const configSchema = z.strictObject({
  log: logSection.prefault({}),
  http: httpSection.prefault({}),
  signaling: signalingSection.prefault({}),
  media: mediaSection.prefault({}),
  recording: recordingSection.prefault({}),
  turn: turnSection.prefault({}),
});

/** The validated configuration, every setting present. */
export type Config = z.output<typeof configSchema>;

/** The configuration with nothing set: every default. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

// ---------------------------------------------------------------------------
// How settings are spelled outside the schema

/** How a setting's text (from the environment or a flag) becomes a value. */
export type SettingKind = 'string' | 'integer' | 'boolean' | 'list';

/** One setting: its path in the schema and how flags, the environment and help spell it. */
export interface SettingSpec {
  /** Dotted path in the configuration, such as 'turn.maxPort'. */
  path: string;
  /** How text becomes the value; 'list' flags are repeatable, 'list' variables comma-separated. */
  kind: SettingKind;
  /** Command-line flag without its dashes. */
  flag: string;
  /** Placeholder for the value in help (none for booleans). */
  valueName?: string;
  /** One line of help, without the default (help adds it from the schema). */
  help: string;
  /** Values that must never be echoed in messages or logs. */
  secret?: boolean;
}

/** Every setting, in the order help and docs list them. */
export const SETTINGS: readonly SettingSpec[] = [
  { path: 'log.level', kind: 'string', flag: 'log-level', valueName: 'LEVEL', help: LOG_LEVELS.join(', ') },
  {
    path: 'turn.listen',
    kind: 'list',
    flag: 'listen',
    valueName: 'IP:PORT',
    help: 'UDP address for STUN/TURN, repeatable; IPv6 as [::]:3478',
  },
  {
    path: 'turn.realm',
    kind: 'string',
    flag: 'realm',
    valueName: 'REALM',
    help: 'realm of long-term credentials',
  },
  {
    path: 'turn.users',
    kind: 'list',
    flag: 'user',
    valueName: 'NAME:PASSWORD',
    help: 'static long-term credential user, repeatable',
    secret: true,
  },
  {
    path: 'turn.authSecrets',
    kind: 'list',
    flag: 'auth-secret',
    valueName: 'SECRET',
    help: 'TURN REST API shared secret, repeatable (rotation)',
    secret: true,
  },
  {
    path: 'turn.relayIps',
    kind: 'list',
    flag: 'relay-ip',
    valueName: 'IP',
    help: 'local address relay sockets bind to, one per family',
  },
  {
    path: 'turn.externalIps',
    kind: 'list',
    flag: 'external-ip',
    valueName: 'PUBLIC[/PRIVATE]',
    help: 'public address to advertise behind a 1:1 NAT, repeatable',
  },
  { path: 'turn.minPort', kind: 'integer', flag: 'min-port', valueName: 'PORT', help: 'lowest relay port' },
  { path: 'turn.maxPort', kind: 'integer', flag: 'max-port', valueName: 'PORT', help: 'highest relay port' },
  {
    path: 'turn.allowLoopbackPeers',
    kind: 'boolean',
    flag: 'allow-loopback-peers',
    help: 'allow relaying to 127.0.0.0/8 and ::1 (local testing)',
  },
  {
    path: 'turn.allowPeers',
    kind: 'list',
    flag: 'allow-peer',
    valueName: 'CIDR',
    help: 'allow peers in this otherwise refused block, repeatable',
  },
  {
    path: 'turn.denyPeers',
    kind: 'list',
    flag: 'deny-peer',
    valueName: 'CIDR',
    help: 'never relay to this block (wins over --allow-peer), repeatable',
  },
  {
    path: 'turn.userQuota',
    kind: 'integer',
    flag: 'user-quota',
    valueName: 'N',
    help: 'allocations per user, 0 = unlimited',
  },
  {
    path: 'turn.totalQuota',
    kind: 'integer',
    flag: 'total-quota',
    valueName: 'N',
    help: 'allocations on the server, 0 = unlimited',
  },
  {
    path: 'turn.maxLifetime',
    kind: 'integer',
    flag: 'max-lifetime',
    valueName: 'SECONDS',
    help: 'longest allocation lifetime granted',
  },
  {
    path: 'turn.nonceLifetime',
    kind: 'integer',
    flag: 'nonce-lifetime',
    valueName: 'SECONDS',
    help: 'how long a nonce stays valid',
  },
  {
    path: 'turn.software',
    kind: 'string',
    flag: 'software',
    valueName: 'TEXT',
    help: 'SOFTWARE attribute in responses, empty to omit',
  },
  {
    path: 'turn.tlsListen',
    kind: 'list',
    flag: 'tls-listen',
    valueName: 'IP:PORT',
    help: 'TURN over TLS only (5349, 443), repeatable; needs --cert and --key',
  },
  {
    path: 'turn.cert',
    kind: 'string',
    flag: 'cert',
    valueName: 'FILE',
    help: 'TLS certificate chain (PEM), reloaded on SIGHUP; with it --listen also takes TLS',
  },
  {
    path: 'turn.key',
    kind: 'string',
    flag: 'key',
    valueName: 'FILE',
    help: 'TLS private key (PEM), reloaded on SIGHUP',
  },
  {
    path: 'turn.allocationBandwidth',
    kind: 'integer',
    flag: 'allocation-bandwidth',
    valueName: 'BYTES/S',
    help: 'relayed bytes per second per allocation, 0 = no cap',
  },
  {
    path: 'turn.userBandwidth',
    kind: 'integer',
    flag: 'user-bandwidth',
    valueName: 'BYTES/S',
    help: 'relayed bytes per second per user, 0 = no cap',
  },
  {
    path: 'turn.totalBandwidth',
    kind: 'integer',
    flag: 'total-bandwidth',
    valueName: 'BYTES/S',
    help: 'relayed bytes per second on the server, 0 = no cap',
  },
  {
    path: 'turn.alternateServer',
    kind: 'string',
    flag: 'alternate-server',
    valueName: 'IP:PORT',
    help: 'where a draining server (SIGUSR1) sends new allocations (300), else they get 508',
  },
  {
    path: 'turn.threads',
    kind: 'integer',
    flag: 'threads',
    valueName: 'N',
    help: 'threads relaying UDP, 0 = one per core (needs Node ≥ 22.12 on Linux, else 1)',
  },
  {
    path: 'signaling.apiKeys',
    kind: 'list',
    flag: 'api-key',
    valueName: 'KEY:SECRET',
    help: 'API key and secret that sign access tokens (HS256), repeatable',
    secret: true,
  },
  {
    path: 'signaling.roomMode',
    kind: 'string',
    flag: 'room-mode',
    valueName: 'MODE',
    help: 'mode of rooms created on first join: sfu (media through the server) or p2p',
  },
  {
    path: 'signaling.maxParticipants',
    kind: 'integer',
    flag: 'max-participants',
    valueName: 'N',
    help: 'participants a room takes unless created with another limit',
  },
  {
    path: 'signaling.emptyTimeout',
    kind: 'integer',
    flag: 'empty-timeout',
    valueName: 'SECONDS',
    help: 'how long an empty room stays open',
  },
  {
    path: 'signaling.resumeGrace',
    kind: 'integer',
    flag: 'resume-grace',
    valueName: 'SECONDS',
    help: 'how long a participant whose connection dropped may resume its session',
  },
  {
    path: 'signaling.maxConnections',
    kind: 'integer',
    flag: 'max-connections',
    valueName: 'N',
    help: 'open signaling WebSocket connections allowed',
  },
  {
    path: 'signaling.turnCredentialTtl',
    kind: 'integer',
    flag: 'turn-credential-ttl',
    valueName: 'SECONDS',
    help: 'lifetime of the TURN credentials handed to participants',
  },
  {
    path: 'signaling.turnHost',
    kind: 'string',
    flag: 'turn-host',
    valueName: 'HOST',
    help: 'host name in the embedded TURN server URLs (default: the host the client dialed)',
  },
  {
    path: 'signaling.externalTurnUrls',
    kind: 'list',
    flag: 'external-turn',
    valueName: 'URL',
    help: 'another STUN/TURN server for participants (turn:coturn.example.org:3478), repeatable',
  },
  {
    path: 'signaling.externalTurnSecret',
    kind: 'string',
    flag: 'external-turn-secret',
    valueName: 'SECRET',
    help: 'TURN REST API secret of the external TURN servers (coturn static-auth-secret)',
    secret: true,
  },
  {
    path: 'media.addresses',
    kind: 'list',
    flag: 'media-address',
    valueName: 'IP',
    help: 'addresses the media server (ICE) listens on, repeatable (default: every interface address)',
  },
  {
    path: 'media.udpPort',
    kind: 'integer',
    flag: 'media-udp-port',
    valueName: 'PORT',
    help: 'UDP port that carries every media session (ICE-lite), 0 = any free port',
  },
  {
    path: 'media.tcpPort',
    kind: 'integer',
    flag: 'media-tcp-port',
    valueName: 'PORT',
    help: 'TCP port for ICE over TCP (RFC 6544) when UDP is blocked, 0 = any free port',
  },
  {
    path: 'media.announcedAddress',
    kind: 'string',
    flag: 'media-announced-address',
    valueName: 'IP',
    help: 'public address advertised in media candidates, for a server behind a 1:1 NAT',
  },
  {
    path: 'media.maxIncomingBitrate',
    kind: 'integer',
    flag: 'max-incoming-bitrate',
    valueName: 'BPS',
    help: 'most a publisher is asked to send per video track (REMB), bits per second',
  },
  {
    path: 'media.workers',
    kind: 'integer',
    flag: 'media-workers',
    valueName: 'N',
    help: 'media worker threads, each on its own ports (UDP and TCP +1 per worker); -1 = one per core, 0 = in the main thread',
  },
  {
    path: 'recording.dir',
    kind: 'string',
    flag: 'recordings-dir',
    valueName: 'DIR',
    help: 'directory recordings are written to, one subdirectory per recording (default ./recordings)',
  },
  {
    path: 'http.listen',
    kind: 'list',
    flag: 'http-listen',
    valueName: 'IP:PORT',
    help: 'HTTP for /metrics, /healthz and /readyz, repeatable ("start" default 0.0.0.0:7880)',
  },
];

/** Environment variable naming the configuration file when `--config` is not given. */
export const CONFIG_FILE_ENV = 'SWITCHBOARD_CONFIG';

/** The environment variable of a setting path: 'turn.maxPort' → 'SWITCHBOARD_TURN_MAX_PORT'. */
export function envName(path: string): string {
  return `SWITCHBOARD_${path
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/\./g, '_')
    .toUpperCase()}`;
}

const SETTINGS_BY_ENV = new Map(SETTINGS.map((spec) => [envName(spec.path), spec]));
const SETTING_PATHS = new Set(SETTINGS.map((spec) => spec.path));

// ---------------------------------------------------------------------------
// Command line

/** Flag values as node:util parseArgs returns them. */
type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What the command line of `turn` or `start` says, before it is merged with the other sources. */
export interface CommandLine {
  /** `--help` / `-h`. */
  help: boolean;
  /** `--dev` (only where allowed). */
  dev: boolean;
  /** `--config FILE`. */
  configFile: string | undefined;
  /** Raw setting flag values keyed by flag name. */
  flags: FlagValues;
}

/**
 * Parses the arguments after the command name: every setting flag, `--config`,
 * `--help`, and `--dev` when `allowDev`. Strict: an unknown flag, a flag
 * missing its value or a stray argument throws a ConfigError (ERR_CONFIG_USAGE).
 */
export function parseCommandLine(args: string[], options: { allowDev?: boolean } = {}): CommandLine {
  const flagOptions: NonNullable<ParseArgsConfig['options']> = {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  };
  if (options.allowDev) flagOptions.dev = { type: 'boolean' };
  for (const spec of SETTINGS) {
    flagOptions[spec.flag] =
      spec.kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: spec.kind === 'list' };
  }
  let values: FlagValues;
  try {
    values = parseArgs({ args, options: flagOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError('ERR_CONFIG_USAGE', [describeParseArgsError(error, options.allowDev === true)]);
  }
  const { help, dev, config, ...flags } = values;
  return { help: help === true, dev: dev === true, configFile: config as string | undefined, flags };
}

/** Rephrases node:util parseArgs errors in the CLI's terms; anything else is a bug and rethrown. */
function describeParseArgsError(error: unknown, allowDev: boolean): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
  const message = (error as Error).message;
  // node quotes the flag or argument: "Unknown option '--foo'", "Option '--realm <value>' argument missing".
  const quoted = (/'([^']*)'/.exec(message)?.[1] ?? '').replace(/ <value>$/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return quoted === '--dev' && !allowDev
      ? '--dev is a flag of "switchboard start"'
      : `unknown flag ${quoted}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${quoted}"`;
  if (message.includes('does not take an argument')) return `flag ${quoted} takes no value`;
  if (message.includes('ambiguous')) {
    return `flag ${quoted} needs a value (write ${quoted}=-VALUE for one starting with "-")`;
  }
  return `flag ${quoted} needs a value`;
}

// ---------------------------------------------------------------------------
// Sources and merging

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets an own property. A file may hold a "__proto__" key: plain assignment
 * would replace the object's prototype; this keeps it a key, which the strict
 * schema then refuses as an unknown setting.
 */
function setOwn(tree: Tree, key: string, value: unknown): void {
  Object.defineProperty(tree, key, { value, enumerable: true, writable: true, configurable: true });
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    if (!Object.hasOwn(node, key) || !isTree(node[key])) setOwn(node, key, {});
    node = node[key] as Tree;
  }
  setOwn(node, keys[keys.length - 1], value);
}

function getPath(tree: Tree, path: string): unknown {
  let node: unknown = tree;
  for (const key of path.split('.')) node = isTree(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  return node;
}

/** Deep-merges plain objects; a later array or scalar replaces the earlier value whole. */
function mergeInto(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    if (isTree(value) && Object.hasOwn(target, key) && isTree(target[key]))
      mergeInto(target[key] as Tree, value);
    else setOwn(target, key, value);
  }
}

/** Where each value came from, by dotted path; a path not recorded came from the defaults. */
class Sources {
  private readonly byPath = new Map<string, string>();

  set(path: string, source: string): void {
    this.byPath.set(path, source);
  }

  /** Records `source` for every key of a tree (a file's values). */
  setTree(tree: Tree, source: string, prefix = ''): void {
    for (const [key, value] of Object.entries(tree)) {
      const path = prefix ? `${prefix}.${key}` : key;
      this.byPath.set(path, source);
      if (isTree(value)) this.setTree(value, source, path);
    }
  }

  /** The source of a path: that of the longest recorded prefix, else 'default'. */
  of(path: string): string {
    for (
      let candidate = path;
      candidate;
      candidate = candidate.slice(0, Math.max(0, candidate.lastIndexOf('.')))
    ) {
      const source = this.byPath.get(candidate);
      if (source) return source;
    }
    return 'default';
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * Converts environment text to the setting's type. Text that does not convert
 * is kept as is, so that validation refuses it with the setting's name.
 */
function fromEnvText(spec: SettingSpec, text: string): unknown {
  switch (spec.kind) {
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'integer':
      return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : text;
    case 'boolean': {
      const word = text.trim().toLowerCase();
      return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : text;
    }
    default:
      return text;
  }
}

/** Converts a flag's parsed value to the setting's type (see fromEnvText). */
function fromFlagValue(spec: SettingSpec, value: string | boolean | (string | boolean)[]): unknown {
  if (spec.kind === 'integer' && typeof value === 'string') {
    return /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
  }
  return value;
}

/** Reads and parses a YAML configuration file; any failure is a ConfigError naming the file. */
function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError('ERR_CONFIG_FILE', [`cannot read config file ${file}: ${reason}`]);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    // The first line says what and where ("... at line 3, column 1:"); the rest is a source excerpt.
    const where = error.message.split('\n')[0].replace(/:$/, '');
    throw new ConfigError('ERR_CONFIG_FILE', [`config file ${file} is not valid YAML: ${where}`]);
  }
  if (value === null || value === undefined) return {};
  if (!isTree(value)) {
    throw new ConfigError('ERR_CONFIG_FILE', [
      `config file ${file} must be a mapping of sections (log:, turn:)`,
    ]);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Validation messages

// Every numeric setting is an integer (ports, counts, seconds), and zod reports
// a string given for an integer as "expected number".
const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a whole number',
  string: 'text',
  array: 'a list',
  object: 'a mapping',
  boolean: 'true or false',
};

function describeValueKind(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/**
 * The error map for every parse of the schema. It quotes the offending value
 * only where a number or boolean was expected, so it can never echo a
 * password or a secret (those settings expect text).
 */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      const quotable = ['int', 'number', 'boolean'].includes(issue.expected);
      const got =
        quotable && (typeof issue.input === 'string' || typeof issue.input === 'number')
          ? JSON.stringify(issue.input)
          : describeValueKind(issue.input);
      if (issue.input === undefined) return 'must be given';
      return `must be ${expected}, got ${got}`;
    }
    case 'too_big': {
      const limit = Number(issue.maximum);
      if (issue.origin === 'string') return `must be at most ${limit} characters`;
      if (issue.origin === 'array') return `must have at most ${limit} entries`;
      return issue.inclusive === false ? `must be < ${limit}` : `must be ≤ ${limit}`;
    }
    case 'too_small': {
      const limit = Number(issue.minimum);
      if (issue.origin === 'string')
        return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters`;
      if (issue.origin === 'array') return `must have at least ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
      return issue.inclusive === false ? `must be > ${limit}` : `must be ≥ ${limit}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return 'unknown setting';
    default:
      return undefined;
  }
}

/** Turns zod issues into one line each, naming the setting and the source of its value. */
function formatIssues(issues: readonly z.core.$ZodIssue[], sources: Sources): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const name = [...path, key].join('.');
        lines.push(`unknown setting ${name} (from ${sources.of(name)})`);
      }
      continue;
    }
    // The setting is the longest known prefix; what follows is a list entry (and a field of it).
    let depth = path.length;
    while (depth > 1 && !SETTING_PATHS.has(path.slice(0, depth).join('.'))) depth--;
    const setting = path.slice(0, depth).join('.') || 'configuration';
    const rest = path.slice(depth);
    let message = issue.message;
    if (rest.length > 0) {
      const entry = /^\d+$/.test(rest[0]) ? `entry ${Number(rest[0]) + 1}` : rest[0];
      const field = rest.slice(1).join('.');
      message = `${entry}${field ? ` ${field}` : ''}: ${message}`;
    }
    const related =
      issue.code === 'custom' ? (issue.params as { related?: string } | undefined)?.related : undefined;
    if (related) message += ` (from ${sources.of(related)})`;
    lines.push(`invalid setting ${setting} (from ${sources.of(setting)}): ${message}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Loading

/** What loadConfig reads. Every field is optional so tests can give just what they exercise. */
export interface LoadConfigOptions {
  /** The parsed command line (flags and `--config`). */
  commandLine?: CommandLine;
  /** Environment variables; pass `process.env` in production. */
  env?: Record<string, string | undefined>;
  /** Set with `--dev`: loopback defaults, and these credentials added to the configured ones. */
  dev?: DevCredentials;
  /** Defaults of the command before any source (`start` serves HTTP on 7880 by default). */
  commandDefaults?: Record<string, unknown>;
}

/** The validated configuration and what the caller should know about how it was found. */
export interface LoadedConfig {
  config: Config;
  /** The YAML file read, if any. */
  configFile: string | undefined;
  /** Things worth a log line that do not stop the start (unknown SWITCHBOARD_ variables). */
  warnings: string[];
}

/**
 * Builds the configuration from its sources and validates it. Throws a
 * ConfigError whose problems name each bad setting and where it came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? {};
  const commandLine = options.commandLine;
  const tree: Tree = {};
  const sources = new Sources();
  const warnings: string[] = [];

  if (options.commandDefaults) {
    mergeInto(tree, options.commandDefaults);
    sources.setTree(options.commandDefaults, 'default');
  }

  if (options.dev) {
    // A development server is reachable from this machine only, and may relay
    // to itself so that two local clients (or turnutils_uclient -y) can talk.
    // Its TLS listener uses a certificate generated at start.
    const devTree: Tree = { turn: { listen: ['127.0.0.1:3478'], allowLoopbackPeers: true } };
    if (options.dev.certFile) setPath(devTree, 'turn.tlsListen', ['127.0.0.1:5349']);
    if (options.commandDefaults && getPath(options.commandDefaults, 'http.listen') !== undefined) {
      devTree.http = { listen: ['127.0.0.1:7880'] };
    }
    mergeInto(tree, devTree);
    sources.setTree(devTree, '--dev');
  }

  const configFile = commandLine?.configFile ?? (env[CONFIG_FILE_ENV] || undefined);
  if (configFile !== undefined) {
    const fileTree = readConfigFile(configFile);
    mergeInto(tree, fileTree);
    sources.setTree(fileTree, configFile);
  }

  const unknownVariables: string[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('SWITCHBOARD_') || name === CONFIG_FILE_ENV || text === undefined) continue;
    const spec = SETTINGS_BY_ENV.get(name);
    if (!spec) {
      // Not refused: orchestrators add SWITCHBOARD_* variables of their own (a
      // Kubernetes Service named "switchboard" sets SWITCHBOARD_PORT and friends).
      unknownVariables.push(name);
      continue;
    }
    setPath(tree, spec.path, fromEnvText(spec, text));
    sources.set(spec.path, name);
  }
  if (unknownVariables.length > 0) {
    warnings.push(`ignoring unknown environment variables: ${unknownVariables.sort().join(', ')}`);
  }

  for (const spec of SETTINGS) {
    const value = commandLine?.flags[spec.flag];
    if (value === undefined) continue;
    setPath(tree, spec.path, fromFlagValue(spec, value));
    sources.set(spec.path, `--${spec.flag}`);
  }

  if (options.dev) {
    // Added to, not replacing, what the sources configured: --dev also works beside real users.
    appendTo(tree, 'turn.users', { name: options.dev.userName, password: options.dev.password });
    appendTo(tree, 'turn.authSecrets', options.dev.secret);
    if (options.dev.apiKey && options.dev.apiSecret) {
      appendTo(tree, 'signaling.apiKeys', `${options.dev.apiKey}:${options.dev.apiSecret}`);
    }
    const { certFile, keyFile } = options.dev;
    if (
      certFile &&
      keyFile &&
      getPath(tree, 'turn.cert') === undefined &&
      getPath(tree, 'turn.key') === undefined
    ) {
      setPath(tree, 'turn.cert', certFile);
      setPath(tree, 'turn.key', keyFile);
      sources.set('turn.cert', '--dev');
      sources.set('turn.key', '--dev');
    }
  }

  const result = configSchema.safeParse(tree, { error: describeIssue });
  if (!result.success)
    throw new ConfigError('ERR_CONFIG_INVALID', formatIssues(result.error.issues, sources));
  return { config: result.data, configFile, warnings };
}

/** Appends to a list setting; a value that is not a list is left for validation to refuse. */
function appendTo(tree: Tree, path: string, item: unknown): void {
  const current = getPath(tree, path);
  if (current === undefined) setPath(tree, path, [item]);
  else if (Array.isArray(current)) setPath(tree, path, [...current, item]);
}

// ---------------------------------------------------------------------------
// Mapping onto the services

/** The TURN server's options from the validated configuration. */
export function toTurnServerOptions(config: Config, log?: Log): TurnServerOptions {
  const turn = config.turn;
  return {
    listen: turn.listen.map((address) => ({ host: address.host, port: address.port })),
    realm: turn.realm,
    users: Object.fromEntries(turn.users.map((entry) => [entry.name, entry.password])),
    authSecrets: [...turn.authSecrets],
    relayIps: [...turn.relayIps],
    externalIps: [...turn.externalIps],
    minPort: turn.minPort,
    maxPort: turn.maxPort,
    allowLoopbackPeers: turn.allowLoopbackPeers,
    allowPeers: [...turn.allowPeers],
    denyPeers: [...turn.denyPeers],
    userQuota: turn.userQuota,
    totalQuota: turn.totalQuota,
    maxLifetimeSeconds: turn.maxLifetime,
    // RFC 8656 §7.2 default of 10 minutes, never above the configured cap.
    defaultLifetimeSeconds: Math.min(600, turn.maxLifetime),
    nonceLifetimeSeconds: turn.nonceLifetime,
    software: turn.software,
    tlsListen: turn.tlsListen.map((address) => ({ host: address.host, port: address.port })),
    allocationBandwidth: turn.allocationBandwidth,
    userBandwidth: turn.userBandwidth,
    totalBandwidth: turn.totalBandwidth,
    ...(turn.alternateServer
      ? {
          alternateServer: {
            family: ipFamily(turn.alternateServer.host) === 6 ? 6 : 4,
            address: turn.alternateServer.host,
            port: turn.alternateServer.port,
          },
        }
      : {}),
    ...(log ? { log } : {}),
  };
}
