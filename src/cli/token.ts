/**
 * `switchboard token`: prints an access token on its last line, signed with
 * the development key (`--dev`), a key given as a flag, or the first API key
 * of the configuration (file or SWITCHBOARD_SIGNALING_API_KEYS).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';
import { DEV_API_KEY, DEV_API_SECRET } from '../server/dev.js';
import { ConfigError } from '../server/errors.js';
import {
  type ApiKey,
  createAccessToken,
  GRANT_NAMES,
  type Grants,
  parseDuration,
  ROOM_NAME,
} from '../signaling/tokens.js';
import { tokenHelp } from './help.js';

/** Runs the command; resolves with the exit code. */
export async function runToken(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const fail = (message: string) => {
    process.stderr.write(`switchboard: ${message}\nRun "switchboard token --help" for the flags.\n`);
    return 2;
  };
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        room: { type: 'string' },
        identity: { type: 'string' },
        name: { type: 'string' },
        grant: { type: 'string', multiple: true },
        ttl: { type: 'string' },
        metadata: { type: 'string' },
        dev: { type: 'boolean' },
        'api-key': { type: 'string' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(tokenHelp());
    return 0;
  }
  const identity = values.identity as string | undefined;
  if (!identity || identity.length > 128) return fail('--identity ID is needed (1–128 characters)');
  const room = values.room as string | undefined;
  if (room !== undefined && !ROOM_NAME.test(room))
    return fail(`--room "${room}" must be 1–128 letters, digits, _ . ~ or -`);
  const grantNames = ((values.grant as string[] | undefined) ?? []).flatMap((item) =>
    item
      .split(',')
      .map((grant) => grant.trim())
      .filter((grant) => grant !== ''),
  );
  const unknown = grantNames.filter((grant) => !(GRANT_NAMES as readonly string[]).includes(grant));
  if (unknown.length > 0)
    return fail(`unknown grant ${unknown.join(', ')} (grants: ${GRANT_NAMES.join(', ')})`);
  let grants: Partial<Grants> | undefined;
  if (grantNames.length > 0) {
    grants = Object.fromEntries(GRANT_NAMES.map((grant) => [grant, grantNames.includes(grant)]));
  }
  if (room === undefined && !grants?.admin)
    return fail('--room ROOM is needed (or --grant admin for an admin token)');
  const ttlSeconds = parseDuration((values.ttl as string | undefined) ?? '6h');
  if (ttlSeconds === undefined)
    return fail(`--ttl "${values.ttl}" is not a duration such as 90s, 15m, 6h or 7d`);
  let metadata: unknown;
  if (values.metadata !== undefined) {
    try {
      metadata = JSON.parse(values.metadata as string);
    } catch {
      return fail('--metadata must be JSON');
    }
  }

  let key: ApiKey | undefined;
  if (values.dev) {
    key = { key: DEV_API_KEY, secret: DEV_API_SECRET };
  } else {
    try {
      const flags: Record<string, string[]> = {};
      if (values['api-key'] !== undefined) flags['api-key'] = [values['api-key'] as string];
      const { config } = loadConfig({
        commandLine: { help: false, dev: false, configFile: values.config as string | undefined, flags },
        env,
      });
      key = config.signaling.apiKeys[0];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) process.stderr.write(`switchboard: ${problem}\n`);
      return 2;
    }
    if (!key)
      return fail('no API key: give --api-key KEY:SECRET, --dev, or signaling.apiKeys in the configuration');
  }
  const token = await createAccessToken(key, {
    identity,
    ...(values.name !== undefined ? { name: values.name as string } : {}),
    ...(room !== undefined ? { room } : {}),
    ...(grants ? { grants } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ttlSeconds,
  });
  process.stderr.write(
    `token for ${identity}${room ? ` in room ${room}` : ''}, valid ${ttlSeconds} s, signed with key ${key.key}:\n`,
  );
  process.stdout.write(`${token}\n`);
  return 0;
}
