import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CommandLine,
  defaultConfig,
  envName,
  type LoadConfigOptions,
  loadConfig,
  parseCommandLine,
  SETTINGS,
  toTurnServerOptions,
} from './config.js';
import { ConfigError } from './errors.js';

const directory = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let fileCount = 0;
/** Writes a YAML file and returns its path. */
function yamlFile(text: string): string {
  const file = join(directory, `config-${++fileCount}.yaml`);
  writeFileSync(file, text);
  return file;
}

function flags(...args: string[]): CommandLine {
  return parseCommandLine(args, { allowDev: true });
}

/** The problems of a refused configuration (fails the test when it is accepted). */
function problemsOf(options: LoadConfigOptions): string[] {
  try {
    loadConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('configuration was accepted');
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).code;
  }
  return undefined;
}

describe('defaults', () => {
  it('gives every setting a value', () => {
    expect(defaultConfig()).toEqual({
      log: { level: 'info' },
      http: { listen: [] },
      signaling: {
        apiKeys: [],
        roomMode: 'sfu',
        maxParticipants: 100,
        emptyTimeout: 30,
        resumeGrace: 15,
        maxConnections: 20_000,
        turnCredentialTtl: 21_600,
        externalTurnUrls: [],
      },
      media: { addresses: [], udpPort: 7882, tcpPort: 7881, maxIncomingBitrate: 2_500_000, workers: -1 },
      recording: { dir: './recordings' },
      turn: {
        listen: [{ host: '0.0.0.0', port: 3478 }],
        realm: 'switchboard',
        users: [],
        authSecrets: [],
        relayIps: [],
        externalIps: [],
        minPort: 49152,
        maxPort: 65535,
        allowLoopbackPeers: false,
        allowPeers: [],
        denyPeers: [],
        userQuota: 0,
        totalQuota: 0,
        maxLifetime: 3600,
        nonceLifetime: 600,
        software: 'Switchboard',
        tlsListen: [],
        allocationBandwidth: 0,
        userBandwidth: 0,
        totalBandwidth: 0,
        threads: 0,
      },
    });
  });

  it('are what loadConfig returns with no sources', () => {
    const loaded = loadConfig();
    expect(loaded.config).toEqual(defaultConfig());
    expect(loaded.configFile).toBeUndefined();
    expect(loaded.warnings).toEqual([]);
  });

  it('describe every setting in SETTINGS, and SETTINGS only settings of the schema', () => {
    const leaves: string[] = [];
    for (const [section, values] of Object.entries(defaultConfig())) {
      for (const key of Object.keys(values)) leaves.push(`${section}.${key}`);
    }
    // Settings without a default: unset unless a source sets them.
    leaves.push(
      'turn.cert',
      'turn.key',
      'turn.alternateServer',
      'signaling.turnHost',
      'signaling.externalTurnSecret',
      'media.announcedAddress',
    );
    expect(SETTINGS.map((spec) => spec.path).sort()).toEqual(leaves.sort());
    expect(new Set(SETTINGS.map((spec) => spec.flag)).size).toBe(SETTINGS.length);
  });
});

describe('names', () => {
  it('derives environment variables from the path in SCREAMING_SNAKE', () => {
    expect(envName('log.level')).toBe('SWITCHBOARD_LOG_LEVEL');
    expect(envName('turn.realm')).toBe('SWITCHBOARD_TURN_REALM');
    expect(envName('turn.maxPort')).toBe('SWITCHBOARD_TURN_MAX_PORT');
    expect(envName('turn.allowLoopbackPeers')).toBe('SWITCHBOARD_TURN_ALLOW_LOOPBACK_PEERS');
    expect(envName('turn.authSecrets')).toBe('SWITCHBOARD_TURN_AUTH_SECRETS');
  });

  it('documents every flag, variable and YAML key in docs/configuration.md', () => {
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const spec of SETTINGS) {
      expect(docs).toContain(`--${spec.flag}`);
      expect(docs).toContain(envName(spec.path));
      expect(docs).toContain(`\`${spec.path}\``);
    }
  });
});

describe('docs/configuration.md', () => {
  it('has a full YAML example that loads and sets every setting', () => {
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const example = /## Full YAML example\s+```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(example).toBeDefined();
    const { config } = loadConfig({ commandLine: flags('--config', yamlFile(example!)) });
    expect(config.turn.realm).toBe('example.org');
    expect(config.turn.users.map((entry) => entry.name)).toEqual(['monitor', 'alice']);
    for (const spec of SETTINGS) {
      const [section, key] = spec.path.split('.');
      expect(example).toMatch(new RegExp(`^${section}:[\\s\\S]*^\\s+${key}:`, 'm'));
    }
  });
});

describe('precedence', () => {
  const file = () =>
    yamlFile(`
log:
  level: debug
turn:
  realm: from-file
  maxPort: 60000
  minPort: 50000
  listen: ['127.0.0.1:3478', '[::1]:3478']
`);

  it('reads the file over the defaults', () => {
    const { config, configFile } = loadConfig({ commandLine: flags('--config', file()) });
    expect(configFile).toMatch(/config-\d+\.yaml$/);
    expect(config.log.level).toBe('debug');
    expect(config.turn.realm).toBe('from-file');
    expect(config.turn.maxPort).toBe(60000);
    expect(config.turn.minPort).toBe(50000);
    expect(config.turn.listen).toEqual([
      { host: '127.0.0.1', port: 3478 },
      { host: '::1', port: 3478 },
    ]);
    expect(config.turn.nonceLifetime).toBe(600);
  });

  it('puts the environment over the file', () => {
    const { config } = loadConfig({
      commandLine: flags('--config', file()),
      env: { SWITCHBOARD_TURN_REALM: 'from-env', SWITCHBOARD_TURN_MAX_PORT: '61000' },
    });
    expect(config.turn.realm).toBe('from-env');
    expect(config.turn.maxPort).toBe(61000);
    expect(config.log.level).toBe('debug');
  });

  it('puts flags over the environment and the file', () => {
    const { config } = loadConfig({
      commandLine: flags('--config', file(), '--realm', 'from-flag', '--listen', '127.0.0.2:1'),
      env: { SWITCHBOARD_TURN_REALM: 'from-env', SWITCHBOARD_LOG_LEVEL: 'warn' },
    });
    expect(config.turn.realm).toBe('from-flag');
    expect(config.log.level).toBe('warn');
    // A list from a later source replaces the earlier list whole.
    expect(config.turn.listen).toEqual([{ host: '127.0.0.2', port: 1 }]);
    expect(config.turn.maxPort).toBe(60000);
  });

  it('takes the file from SWITCHBOARD_CONFIG, and --config over it', () => {
    const fromEnv = yamlFile('turn: { realm: env-file }');
    const fromFlag = yamlFile('turn: { realm: flag-file }');
    expect(loadConfig({ env: { SWITCHBOARD_CONFIG: fromEnv } }).config.turn.realm).toBe('env-file');
    const loaded = loadConfig({
      commandLine: flags('--config', fromFlag),
      env: { SWITCHBOARD_CONFIG: fromEnv },
    });
    expect(loaded.config.turn.realm).toBe('flag-file');
    expect(loaded.configFile).toBe(fromFlag);
  });

  it('accepts an empty file', () => {
    expect(loadConfig({ commandLine: flags('--config', yamlFile('')) }).config).toEqual(defaultConfig());
  });
});

describe('environment', () => {
  it('splits lists on commas and converts numbers and booleans', () => {
    const { config } = loadConfig({
      env: {
        SWITCHBOARD_TURN_LISTEN: '127.0.0.1:3478, [::1]:3479',
        SWITCHBOARD_TURN_USERS: 'alice:one,bob:two:with:colons',
        SWITCHBOARD_TURN_AUTH_SECRETS: 's1,s2',
        SWITCHBOARD_TURN_DENY_PEERS: '203.0.113.0/24,2001:db8::/32',
        SWITCHBOARD_TURN_ALLOW_LOOPBACK_PEERS: 'yes',
        SWITCHBOARD_TURN_USER_QUOTA: '10',
      },
    });
    expect(config.turn.listen).toEqual([
      { host: '127.0.0.1', port: 3478 },
      { host: '::1', port: 3479 },
    ]);
    expect(config.turn.users).toEqual([
      { name: 'alice', password: 'one' },
      { name: 'bob', password: 'two:with:colons' },
    ]);
    expect(config.turn.authSecrets).toEqual(['s1', 's2']);
    expect(config.turn.denyPeers).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    expect(config.turn.allowLoopbackPeers).toBe(true);
    expect(config.turn.userQuota).toBe(10);
  });

  it('reads false words as false, over a file that says true', () => {
    const file = yamlFile('turn:\n  allowLoopbackPeers: true\n');
    for (const word of ['false', '0', 'no', 'off', 'FALSE']) {
      const { config } = loadConfig({
        commandLine: flags('--config', file),
        env: { SWITCHBOARD_TURN_ALLOW_LOOPBACK_PEERS: word },
      });
      expect(config.turn.allowLoopbackPeers).toBe(false);
    }
  });

  it('warns about unknown SWITCHBOARD_ variables instead of refusing them', () => {
    // A Kubernetes Service named "switchboard" injects variables like these.
    const { warnings } = loadConfig({
      env: { SWITCHBOARD_PORT: 'udp://10.0.0.1:3478', SWITCHBOARD_SERVICE_HOST: '10.0.0.1', HOME: '/root' },
    });
    expect(warnings).toEqual([
      'ignoring unknown environment variables: SWITCHBOARD_PORT, SWITCHBOARD_SERVICE_HOST',
    ]);
  });
});

describe('command line', () => {
  it('collects repeatable flags in order', () => {
    const { config } = loadConfig({
      commandLine: flags(
        '--listen',
        '127.0.0.1:3478',
        '--listen',
        '[::]:3478',
        '--user',
        'alice:one',
        '--user',
        'bob:two',
        '--auth-secret',
        'a',
        '--auth-secret',
        'b',
        '--allow-peer',
        '10.1.0.0/16',
        '--allow-peer',
        'fd00::/8',
        '--deny-peer',
        '10.1.2.0/24',
        '--relay-ip',
        '192.0.2.10',
        '--relay-ip',
        '2001:db8::10',
        '--external-ip',
        '198.51.100.1/192.0.2.10',
        '--external-ip',
        '2001:db8::1',
      ),
    });
    expect(config.turn.listen).toEqual([
      { host: '127.0.0.1', port: 3478 },
      { host: '::', port: 3478 },
    ]);
    expect(config.turn.users.map((entry) => entry.name)).toEqual(['alice', 'bob']);
    expect(config.turn.authSecrets).toEqual(['a', 'b']);
    expect(config.turn.allowPeers).toEqual(['10.1.0.0/16', 'fd00::/8']);
    expect(config.turn.denyPeers).toEqual(['10.1.2.0/24']);
    expect(config.turn.relayIps).toEqual(['192.0.2.10', '2001:db8::10']);
    expect(config.turn.externalIps).toEqual(['198.51.100.1/192.0.2.10', '2001:db8::1']);
  });

  it('reads scalar flags', () => {
    const { config } = loadConfig({
      commandLine: flags(
        '--log-level',
        'trace',
        '--min-port',
        '40000',
        '--max-port',
        '40100',
        '--allow-loopback-peers',
        '--user-quota',
        '5',
        '--total-quota',
        '100',
        '--max-lifetime',
        '1200',
        '--nonce-lifetime',
        '300',
        '--software',
        '',
      ),
    });
    expect(config.log.level).toBe('trace');
    expect(config.turn).toMatchObject({
      minPort: 40000,
      maxPort: 40100,
      allowLoopbackPeers: true,
      userQuota: 5,
      totalQuota: 100,
      maxLifetime: 1200,
      nonceLifetime: 300,
      software: '',
    });
  });

  it('reports --help, --dev and --config apart from the settings', () => {
    expect(parseCommandLine(['-h'])).toMatchObject({ help: true, dev: false });
    expect(parseCommandLine(['--dev', '-c', 'x.yaml'], { allowDev: true })).toMatchObject({
      help: false,
      dev: true,
      configFile: 'x.yaml',
      flags: {},
    });
  });

  it('refuses unknown flags, missing values, stray arguments, and --dev where not allowed', () => {
    expect(codeOf(() => parseCommandLine(['--bogus']))).toBe('ERR_CONFIG_USAGE');
    expect(codeOf(() => parseCommandLine(['--realm']))).toBe('ERR_CONFIG_USAGE');
    expect(codeOf(() => parseCommandLine(['stray']))).toBe('ERR_CONFIG_USAGE');
    expect(codeOf(() => parseCommandLine(['--allow-loopback-peers=yes']))).toBe('ERR_CONFIG_USAGE');
    expect(codeOf(() => parseCommandLine(['--dev']))).toBe('ERR_CONFIG_USAGE');
    expect(() => parseCommandLine(['--bogus'])).toThrow('unknown flag --bogus');
    expect(() => parseCommandLine(['--realm'])).toThrow('flag --realm needs a value');
    expect(() => parseCommandLine(['--dev'])).toThrow('--dev is a flag of "switchboard start"');
  });
});

describe('YAML users', () => {
  it('accepts name:password strings and {name, password} mappings, mixed', () => {
    const file = yamlFile(`
turn:
  users:
    - alice:secret-one
    - "bob:has:colons"
    - name: carol
      password: "p@ss: word"
`);
    const { config } = loadConfig({ commandLine: flags('--config', file) });
    expect(config.turn.users).toEqual([
      { name: 'alice', password: 'secret-one' },
      { name: 'bob', password: 'has:colons' },
      { name: 'carol', password: 'p@ss: word' },
    ]);
    expect(toTurnServerOptions(config).users).toEqual({
      alice: 'secret-one',
      bob: 'has:colons',
      carol: 'p@ss: word',
    });
  });

  it('refuses other forms, naming the entry but not the password', () => {
    const file = yamlFile(`
turn:
  users:
    - no-colon-hunter2
    - alice: hunter3
    - name: dave
    - name: "x:y"
      password: hunter4
    - 42
`);
    const problems = problemsOf({ commandLine: flags('--config', file) });
    expect(problems).toEqual([
      `invalid setting turn.users (from ${file}): entry 1: must be NAME:PASSWORD or a mapping with name and password`,
      `invalid setting turn.users (from ${file}): entry 2: must be NAME:PASSWORD or a mapping with name and password`,
      `invalid setting turn.users (from ${file}): entry 3 password: must be given`,
      `invalid setting turn.users (from ${file}): entry 4 name: must not contain ':' (it separates TURN REST API usernames)`,
      `invalid setting turn.users (from ${file}): entry 5: must be NAME:PASSWORD or a mapping with name and password`,
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter/);
  });

  it('refuses a user listed twice and empty names or passwords', () => {
    expect(problemsOf({ commandLine: flags('--user', 'a:1', '--user', 'a:2') })).toEqual([
      'invalid setting turn.users (from --user): entry 2: user "a" is listed twice',
    ]);
    expect(problemsOf({ commandLine: flags('--user', ':pw', '--user', 'bob:') })).toEqual([
      'invalid setting turn.users (from --user): entry 1 name: must not be empty',
      'invalid setting turn.users (from --user): entry 2 password: must not be empty',
    ]);
  });
});

describe('CIDR blocks', () => {
  it('accepts IPv4 and IPv6 blocks and bare addresses', () => {
    const blocks = [
      '10.0.0.0/8',
      '192.0.2.1',
      '0.0.0.0/0',
      'fc00::/7',
      '::1',
      '2001:db8::/128',
      '::ffff:0:0/96',
    ];
    const args = blocks.flatMap((block) => ['--allow-peer', block, '--deny-peer', block]);
    const { config } = loadConfig({ commandLine: flags(...args) });
    expect(config.turn.allowPeers).toEqual(blocks);
    expect(config.turn.denyPeers).toEqual(blocks);
  });

  it.each([
    '10.0.0.0/33',
    '::/129',
    '10.0.0/8',
    'example.com/24',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '',
  ])('refuses %j', (block) => {
    expect(problemsOf({ commandLine: flags('--deny-peer', block) })).toEqual([
      `invalid setting turn.denyPeers (from --deny-peer): entry 1: ${JSON.stringify(block)} is not an address or CIDR block (such as 10.0.0.0/8 or fc00::/7)`,
    ]);
  });

  it('names the entry that is wrong', () => {
    expect(problemsOf({ env: { SWITCHBOARD_TURN_ALLOW_PEERS: '10.0.0.0/8,300.1.1.1' } })).toEqual([
      'invalid setting turn.allowPeers (from SWITCHBOARD_TURN_ALLOW_PEERS): entry 2: "300.1.1.1" is not an address or CIDR block (such as 10.0.0.0/8 or fc00::/7)',
    ]);
  });
});

describe('bad settings', () => {
  it('names the setting and the variable it came from', () => {
    expect(problemsOf({ env: { SWITCHBOARD_TURN_MAX_PORT: '70000' } })).toEqual([
      'invalid setting turn.maxPort (from SWITCHBOARD_TURN_MAX_PORT): must be ≤ 65535',
    ]);
  });

  it('names the flag and the file a value came from', () => {
    expect(problemsOf({ commandLine: flags('--min-port', '0') })).toEqual([
      'invalid setting turn.minPort (from --min-port): must be ≥ 1',
    ]);
    const file = yamlFile('turn:\n  minPort: 1.5\n');
    expect(problemsOf({ commandLine: flags('--config', file) })).toEqual([
      `invalid setting turn.minPort (from ${file}): must be a whole number, got 1.5`,
    ]);
  });

  it('refuses text where a number is expected, quoting it', () => {
    expect(problemsOf({ env: { SWITCHBOARD_TURN_USER_QUOTA: 'ten' } })).toEqual([
      'invalid setting turn.userQuota (from SWITCHBOARD_TURN_USER_QUOTA): must be a whole number, got "ten"',
    ]);
    expect(problemsOf({ commandLine: flags('--total-quota=-1') })).toEqual([
      'invalid setting turn.totalQuota (from --total-quota): must be ≥ 0',
    ]);
  });

  it('refuses a boolean that is not one', () => {
    expect(problemsOf({ env: { SWITCHBOARD_TURN_ALLOW_LOOPBACK_PEERS: 'maybe' } })).toEqual([
      'invalid setting turn.allowLoopbackPeers (from SWITCHBOARD_TURN_ALLOW_LOOPBACK_PEERS): must be true or false, got "maybe"',
    ]);
  });

  it('refuses an unknown log level', () => {
    expect(problemsOf({ commandLine: flags('--log-level', 'loud') })).toEqual([
      'invalid setting log.level (from --log-level): must be one of trace, debug, info, warn, error, fatal, silent',
    ]);
  });

  it('refuses listen addresses that are not IP:PORT', () => {
    for (const text of ['localhost:3478', '::1:3478', '0.0.0.0', '0.0.0.0:65536', '[::]:x']) {
      expect(problemsOf({ commandLine: flags('--listen', text) })).toEqual([
        `invalid setting turn.listen (from --listen): entry 1: "${text}" is not IP:PORT (IPv6 in brackets, as [::]:3478)`,
      ]);
    }
    expect(problemsOf({ env: { SWITCHBOARD_TURN_LISTEN: '' } })).toEqual([
      'invalid setting turn.listen (from SWITCHBOARD_TURN_LISTEN): must have at least 1 entry',
    ]);
  });

  it('refuses maxPort below minPort, naming both sources', () => {
    expect(problemsOf({ env: { SWITCHBOARD_TURN_MAX_PORT: '1000' } })).toEqual([
      'invalid setting turn.maxPort (from SWITCHBOARD_TURN_MAX_PORT): must be ≥ turn.minPort, which is 49152 (from default)',
    ]);
    expect(
      problemsOf({ commandLine: flags('--min-port', '60000'), env: { SWITCHBOARD_TURN_MAX_PORT: '50000' } }),
    ).toEqual([
      'invalid setting turn.maxPort (from SWITCHBOARD_TURN_MAX_PORT): must be ≥ turn.minPort, which is 60000 (from --min-port)',
    ]);
  });

  it('accepts minPort equal to maxPort', () => {
    const { config } = loadConfig({ commandLine: flags('--min-port', '50000', '--max-port', '50000') });
    expect(config.turn.minPort).toBe(config.turn.maxPort);
  });

  it('refuses bad relay and external addresses', () => {
    expect(problemsOf({ commandLine: flags('--relay-ip', 'eth0') })).toEqual([
      'invalid setting turn.relayIps (from --relay-ip): entry 1: "eth0" is not an IP address',
    ]);
    expect(problemsOf({ commandLine: flags('--relay-ip', '192.0.2.1', '--relay-ip', '192.0.2.2') })).toEqual([
      'invalid setting turn.relayIps (from --relay-ip): entry 2: at most one IPv4 relay address',
    ]);
    for (const text of ['198.51.100.1/2001:db8::1', 'a/b', '1.2.3.4/5.6.7.8/9.9.9.9']) {
      expect(problemsOf({ commandLine: flags('--external-ip', text) })).toEqual([
        `invalid setting turn.externalIps (from --external-ip): entry 1: "${text}" is not PUBLIC-IP or PUBLIC-IP/PRIVATE-IP`,
      ]);
    }
  });

  it('refuses empty secrets and realms, and over-long realms and software', () => {
    expect(problemsOf({ commandLine: flags('--auth-secret', '') })).toEqual([
      'invalid setting turn.authSecrets (from --auth-secret): entry 1: must not be empty',
    ]);
    expect(problemsOf({ commandLine: flags('--realm', '') })).toEqual([
      'invalid setting turn.realm (from --realm): must not be empty',
    ]);
    expect(
      problemsOf({ commandLine: flags('--realm', 'r'.repeat(128), '--software', 's'.repeat(128)) }),
    ).toEqual([
      'invalid setting turn.realm (from --realm): must be at most 127 characters',
      'invalid setting turn.software (from --software): must be at most 127 characters',
    ]);
  });

  it('refuses lifetimes out of range', () => {
    expect(problemsOf({ commandLine: flags('--max-lifetime', '0', '--nonce-lifetime', '86401') })).toEqual([
      'invalid setting turn.maxLifetime (from --max-lifetime): must be ≥ 1',
      'invalid setting turn.nonceLifetime (from --nonce-lifetime): must be ≤ 86400',
    ]);
  });

  it('refuses wrong types in a file without echoing secret values', () => {
    const file = yamlFile('turn:\n  authSecrets: [12345678]\n  realm: [a]\n  listen: 0.0.0.0:3478\n');
    expect(problemsOf({ commandLine: flags('--config', file) })).toEqual([
      `invalid setting turn.listen (from ${file}): must be a list, got text`,
      `invalid setting turn.realm (from ${file}): must be text, got a list`,
      `invalid setting turn.authSecrets (from ${file}): entry 1: must be text, got a number`,
    ]);
  });

  it('refuses unknown keys and sections in a file', () => {
    const file = yamlFile('turn:\n  relm: typo\nhttp:\n  port: 7880\nsignal: {}\n');
    expect(problemsOf({ commandLine: flags('--config', file) })).toEqual([
      `unknown setting http.port (from ${file})`,
      `unknown setting turn.relm (from ${file})`,
      `unknown setting signal (from ${file})`,
    ]);
    const section = yamlFile('turn: 5\n');
    expect(problemsOf({ commandLine: flags('--config', section) })).toEqual([
      `invalid setting turn (from ${section}): must be a mapping, got a number`,
    ]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      commandLine: flags('--max-port', '70000', '--log-level', 'x'),
      env: { SWITCHBOARD_TURN_REALM: '' },
    });
    expect(problems).toHaveLength(3);
  });
});

describe('config files', () => {
  it('refuses a missing file', () => {
    const missing = join(directory, 'missing.yaml');
    expect(codeOf(() => loadConfig({ commandLine: flags('--config', missing) }))).toBe('ERR_CONFIG_FILE');
    expect(() => loadConfig({ commandLine: flags('--config', missing) })).toThrow(
      `cannot read config file ${missing}: no such file`,
    );
  });

  it('refuses YAML that does not parse, with the line', () => {
    const file = yamlFile('turn:\n  realm: a\n  realm: b\n');
    expect(() => loadConfig({ commandLine: flags('--config', file) })).toThrow(
      `config file ${file} is not valid YAML: Map keys must be unique at line 3, column 3`,
    );
    // An unquoted IPv6 listen address is a YAML flow sequence: the error points at it.
    const unquoted = yamlFile('turn:\n  listen:\n    - [::]:3478\n');
    expect(codeOf(() => loadConfig({ commandLine: flags('--config', unquoted) }))).toBe('ERR_CONFIG_FILE');
  });

  it('keeps __proto__ keys as unknown settings rather than prototypes', () => {
    const file = yamlFile('__proto__:\n  polluted: true\nturn:\n  __proto__:\n    realm: x\n');
    expect(problemsOf({ commandLine: flags('--config', file) })).toEqual([
      `unknown setting turn.__proto__ (from ${file})`,
      `unknown setting __proto__ (from ${file})`,
    ]);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a file that is not a mapping', () => {
    const file = yamlFile('- a\n- b\n');
    expect(() => loadConfig({ commandLine: flags('--config', file) })).toThrow(
      `config file ${file} must be a mapping of sections (log:, turn:)`,
    );
  });
});

describe('--dev', () => {
  const dev = { userName: 'dev', password: 'dev-password', secret: 'dev-secret' };

  it('listens on loopback, allows loopback peers and adds its credentials', () => {
    const { config } = loadConfig({ dev });
    expect(config.turn.listen).toEqual([{ host: '127.0.0.1', port: 3478 }]);
    expect(config.turn.allowLoopbackPeers).toBe(true);
    expect(config.turn.users).toEqual([{ name: 'dev', password: 'dev-password' }]);
    expect(config.turn.authSecrets).toEqual(['dev-secret']);
  });

  it('adds its credentials beside configured ones, and yields to every source', () => {
    const file = yamlFile("turn:\n  listen: ['0.0.0.0:3478']\n");
    const { config } = loadConfig({
      dev,
      commandLine: flags('--config', file, '--user', 'alice:pw'),
      env: { SWITCHBOARD_TURN_AUTH_SECRETS: 'prod', SWITCHBOARD_TURN_ALLOW_LOOPBACK_PEERS: 'false' },
    });
    expect(config.turn.listen).toEqual([{ host: '0.0.0.0', port: 3478 }]);
    expect(config.turn.allowLoopbackPeers).toBe(false);
    expect(config.turn.users.map((entry) => entry.name)).toEqual(['alice', 'dev']);
    expect(config.turn.authSecrets).toEqual(['prod', 'dev-secret']);
  });

  it('serves TLS on 5349 with its generated certificate unless one is configured', () => {
    const withCertificate = { ...dev, certFile: '/tmp/dev-cert.pem', keyFile: '/tmp/dev-key.pem' };
    const { config } = loadConfig({ dev: withCertificate });
    expect(config.turn.tlsListen).toEqual([{ host: '127.0.0.1', port: 5349 }]);
    expect(config.turn).toMatchObject({ cert: '/tmp/dev-cert.pem', key: '/tmp/dev-key.pem' });
    const own = loadConfig({
      dev: withCertificate,
      commandLine: flags('--cert', '/etc/cert.pem', '--key', '/etc/key.pem'),
    }).config;
    expect(own.turn).toMatchObject({ cert: '/etc/cert.pem', key: '/etc/key.pem' });
    // The all-in-one server's HTTP port moves to loopback too.
    const start = loadConfig({
      dev: withCertificate,
      commandDefaults: { http: { listen: ['0.0.0.0:7880'] } },
    });
    expect(start.config.http.listen).toEqual([{ host: '127.0.0.1', port: 7880 }]);
  });

  it('refuses a certificate without its key and a TLS listener without either', () => {
    expect(problemsOf({ commandLine: flags('--cert', '/etc/cert.pem') })).toEqual([
      'invalid setting turn.key (from default): is needed with turn.cert',
    ]);
    expect(problemsOf({ commandLine: flags('--tls-listen', '0.0.0.0:443') })).toEqual([
      'invalid setting turn.tlsListen (from --tls-listen): needs turn.cert and turn.key',
    ]);
  });
});

describe('toTurnServerOptions', () => {
  it('maps every setting onto the TURN server options', () => {
    const { config } = loadConfig({
      commandLine: flags(
        '--listen',
        '[::]:3478',
        '--realm',
        'example.org',
        '--user',
        'alice:pw',
        '--auth-secret',
        's',
        '--relay-ip',
        '192.0.2.1',
        '--external-ip',
        '198.51.100.1',
        '--min-port',
        '50000',
        '--max-port',
        '50010',
        '--allow-loopback-peers',
        '--allow-peer',
        '10.0.0.0/8',
        '--deny-peer',
        '10.9.0.0/16',
        '--user-quota',
        '2',
        '--total-quota',
        '20',
        '--max-lifetime',
        '300',
        '--nonce-lifetime',
        '120',
        '--software',
        'x',
        '--tls-listen',
        '[::]:443',
        '--cert',
        '/etc/c.pem',
        '--key',
        '/etc/k.pem',
        '--allocation-bandwidth',
        '1000',
        '--user-bandwidth',
        '2000',
        '--total-bandwidth',
        '3000',
        '--alternate-server',
        '192.0.2.9:3478',
      ),
    });
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    expect(toTurnServerOptions(config, log)).toEqual({
      listen: [{ host: '::', port: 3478 }],
      realm: 'example.org',
      users: { alice: 'pw' },
      authSecrets: ['s'],
      relayIps: ['192.0.2.1'],
      externalIps: ['198.51.100.1'],
      minPort: 50000,
      maxPort: 50010,
      allowLoopbackPeers: true,
      allowPeers: ['10.0.0.0/8'],
      denyPeers: ['10.9.0.0/16'],
      userQuota: 2,
      totalQuota: 20,
      maxLifetimeSeconds: 300,
      // Never above the cap.
      defaultLifetimeSeconds: 300,
      nonceLifetimeSeconds: 120,
      software: 'x',
      tlsListen: [{ host: '::', port: 443 }],
      allocationBandwidth: 1000,
      userBandwidth: 2000,
      totalBandwidth: 3000,
      alternateServer: { family: 4, address: '192.0.2.9', port: 3478 },
      log,
    });
    expect(toTurnServerOptions(defaultConfig()).defaultLifetimeSeconds).toBe(600);
    expect(toTurnServerOptions(defaultConfig())).not.toHaveProperty('log');
  });
});
