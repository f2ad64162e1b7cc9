/**
 * Help text, generated from the settings table so that a new setting shows up
 * in `--help` with its default without anyone remembering to add it.
 */
import { CONFIG_FILE_ENV, defaultConfig, SETTINGS, type SettingSpec } from '../server/config.js';

/** The commands that run a server. */
export type ServerCommand = 'start' | 'turn';

const COMMAND_SUMMARIES: Record<ServerCommand, string> = {
  start:
    'Runs the all-in-one server: STUN/TURN, and on HTTP port 7880 signaling (/rtc), the admin API (/api), the demo page (/), metrics and health. Media comes next.',
  turn: 'Runs the STUN/TURN server alone.',
};

/** Help for `switchboard` itself. */
export function generalHelp(): string {
  return `Usage: switchboard <command> [flags]

Switchboard: signaling, STUN/TURN and an SFU in one WebRTC server.

Commands:
  start [--dev]      run the all-in-one server (--dev: local setup, no file needed)
  turn               run the STUN/TURN server alone
  token              print an access token (switchboard token --help)
  help [COMMAND]     show help, for one command with its flags
  version            print the version

Flags:
  -h, --help         show help
      --version      print the version

Run "switchboard help turn" for the settings flags.
`;
}

/** A default as it is typed on the command line; listen addresses are parsed objects in the config. */
function formatDefault(item: unknown): string {
  if (typeof item === 'object' && item !== null && 'host' in item && 'port' in item) {
    const { host, port } = item as { host: string; port: number };
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }
  return String(item);
}

function defaultText(spec: SettingSpec): string {
  let value: unknown = defaultConfig();
  for (const key of spec.path.split('.')) value = (value as Record<string, unknown>)[key];
  if (spec.kind === 'boolean' || value === '' || (Array.isArray(value) && value.length === 0)) return '';
  const items = Array.isArray(value) ? value : [value];
  return ` (default ${items.map(formatDefault).join(', ')})`;
}

function row(flags: string, help: string): string {
  return `  ${flags.padEnd(36)} ${help}`;
}

/** Help for `switchboard start` or `switchboard turn`: every flag with its default. */
export function commandHelp(command: ServerCommand): string {
  const rows = [row('-c, --config FILE', `YAML configuration file (or ${CONFIG_FILE_ENV})`)];
  if (command === 'start') {
    rows.push(row('    --dev', 'local development: loopback only, random dev user and secret, printed'));
  }
  for (const spec of SETTINGS) {
    const flag = `    --${spec.flag}${spec.valueName ? ` ${spec.valueName}` : ''}`;
    rows.push(row(flag, `${spec.help}${defaultText(spec)}`));
  }
  rows.push(row('-h, --help', 'show this help'));
  return `Usage: switchboard ${command} [flags]

${COMMAND_SUMMARIES[command]}

Sources, later wins: defaults, ${command === 'start' ? '--dev, ' : ''}the config file, SWITCHBOARD_* variables, flags.
Repeatable flags replace a list from an earlier source. See docs/configuration.md.

Flags:
${rows.join('\n')}
`;
}

/** Help for `switchboard token`. */
export function tokenHelp(): string {
  return `Usage: switchboard token --room ROOM --identity ID [flags]
       switchboard token --grant admin --identity ID [flags]

Prints an access token (a JWT signed with an API key) on its last line.

Flags:
${row('--room ROOM', 'room the token admits to (not with --grant admin alone)')}
${row('--identity ID', 'identity of the participant')}
${row('--name NAME', 'display name (default: the identity)')}
${row('--grant LIST', 'grants, comma-separated or repeated: join, publish, subscribe, data, admin, record')}
${row('', '(default join,publish,subscribe,data; admin alone without --room)')}
${row('--ttl DURATION', 'lifetime: 90s, 15m, 6h, 7d (default 6h)')}
${row('--metadata JSON', 'initial participant metadata')}
${row('--dev', 'sign with the development key of "switchboard start --dev"')}
${row('--api-key KEY:SECRET', 'sign with this key (else the first of the configuration)')}
${row('-c, --config FILE', `YAML configuration file (or ${CONFIG_FILE_ENV}); SWITCHBOARD_SIGNALING_API_KEYS works too`)}
`;
}
