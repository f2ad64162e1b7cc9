/**
 * `--dev`: credentials generated for one run, and the banner that shows them.
 * This banner is the one place a secret is printed on purpose: it goes to
 * stderr once at start, never through the logger.
 */
import { randomBytes } from 'node:crypto';
import { createRestCredential } from '../turn/rest-credentials.js';

/** A static user and a TURN REST API secret made up for a development run. */
export interface DevCredentials {
  userName: string;
  password: string;
  secret: string;
}

/** Generates fresh development credentials (128 bits of randomness each). */
export function createDevCredentials(): DevCredentials {
  return {
    userName: 'dev',
    password: randomBytes(16).toString('base64url'),
    secret: randomBytes(16).toString('base64url'),
  };
}

/** The address a local client should dial for a listener (a wildcard means this machine's loopback). */
function dialableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * The text printed on stderr at a `--dev` start: the credentials, a REST
 * credential valid for a day, and coturn client commands to try the server.
 */
export function formatDevBanner(
  credentials: DevCredentials,
  addresses: readonly { host: string; port: number; family: 4 | 6 }[],
  now = Date.now(),
): string {
  const rest = createRestCredential(credentials.secret, credentials.userName, 86_400, now);
  const target = addresses.find((address) => address.family === 4) ?? addresses[0];
  const host = target ? dialableHost(target.host) : '127.0.0.1';
  const port = target?.port ?? 3478;
  return [
    '',
    'Development credentials (generated for this run only; never use --dev in production):',
    `  static user        ${credentials.userName}`,
    `  password           ${credentials.password}`,
    `  TURN REST secret   ${credentials.secret}`,
    `  REST credential    username ${rest.username}`,
    `                     password ${rest.password}   (valid 24 hours)`,
    '',
    // -s relays with Send indications: turnutils_uclient picks channel numbers up to 0x7FFF (RFC 5766),
    // above the 0x4000-0x4FFF that RFC 8656 §12 allows and this server accepts.
    "Try it with coturn's client tools:",
    `  turnutils_stunclient -p ${port} ${host}`,
    `  turnutils_uclient -y -s -n 10 -u ${credentials.userName} -w '${credentials.password}' -p ${port} ${host}`,
    `  turnutils_uclient -y -s -n 10 -u ${credentials.userName} -W '${credentials.secret}' -p ${port} ${host}`,
    '',
    '',
  ].join('\n');
}
