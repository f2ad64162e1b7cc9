/**
 * `--dev`: credentials generated for one run, and the banner that shows them.
 * This banner is the one place a secret is printed on purpose: it goes to
 * stderr once at start, never through the logger.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRestCredential } from '../turn/rest-credentials.js';
import { generateSelfSignedCertificate } from '../util/certificate.js';

/**
 * The development API key and secret. Fixed, unlike the TURN credentials, so
 * that tokens made with `switchboard token --dev` keep working across
 * restarts; never accepted without `--dev`.
 */
export const DEV_API_KEY = 'devkey';
export const DEV_API_SECRET = 'switchboard-development-secret-never-use-in-production';

/** A static user and a TURN REST API secret made up for a development run, and the API key. */
export interface DevCredentials {
  userName: string;
  password: string;
  secret: string;
  apiKey?: string;
  apiSecret?: string;
  /** A self-signed certificate for TURN over TLS, used unless one is configured. */
  certFile?: string;
  keyFile?: string;
}

/**
 * Writes a self-signed certificate (ECDSA P-256, for localhost, 127.0.0.1
 * and ::1, valid 30 days) and its key to a new private temporary folder, so
 * that `--dev` serves TURN over TLS with no setup. Returns the two paths.
 */
export function createDevCertificate(): { certFile: string; keyFile: string } {
  const folder = mkdtempSync(join(tmpdir(), 'switchboard-dev-'));
  const certificate = generateSelfSignedCertificate({ commonName: 'localhost' });
  const certFile = join(folder, 'cert.pem');
  const keyFile = join(folder, 'key.pem');
  writeFileSync(certFile, certificate.certPem, { mode: 0o644 });
  writeFileSync(keyFile, certificate.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

/** Generates fresh development credentials (128 bits of randomness each). */
export function createDevCredentials(): DevCredentials {
  return {
    userName: 'dev',
    password: randomBytes(16).toString('base64url'),
    secret: randomBytes(16).toString('base64url'),
    apiKey: DEV_API_KEY,
    apiSecret: DEV_API_SECRET,
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
  tlsAddresses: readonly { host: string; port: number; family: 4 | 6 }[] = [],
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
    ...(credentials.apiKey
      ? [`  API key            ${credentials.apiKey}`, `  API secret         ${credentials.apiSecret}`]
      : []),
    `  REST credential    username ${rest.username}`,
    `                     password ${rest.password}   (valid 24 hours)`,
    '',
    // -s relays with Send indications: turnutils_uclient picks channel numbers up to 0x7FFF (RFC 5766),
    // above the 0x4000-0x4FFF that RFC 8656 §12 allows and this server accepts.
    "Try it with coturn's client tools:",
    `  turnutils_stunclient -p ${port} ${host}`,
    `  turnutils_uclient -y -s -n 10 -u ${credentials.userName} -w '${credentials.password}' -p ${port} ${host}`,
    `  turnutils_uclient -y -s -n 10 -u ${credentials.userName} -W '${credentials.secret}' -p ${port} ${host}`,
    `  turnutils_uclient -t -y -n 10 -u ${credentials.userName} -w '${credentials.password}' -p ${port} ${host}   # TCP`,
    ...tlsLines(credentials, tlsAddresses),
    '',
    '',
  ].join('\n');
}

/** The TLS part of the banner: where the certificate is, and a TLS client command. */
function tlsLines(
  credentials: DevCredentials,
  tlsAddresses: readonly { host: string; port: number; family: 4 | 6 }[],
): string[] {
  const target = tlsAddresses.find((address) => address.family === 4) ?? tlsAddresses[0];
  if (!target) return [];
  const host = dialableHost(target.host);
  return [
    `  turnutils_uclient -t -S -y -n 10 -u ${credentials.userName} -w '${credentials.password}' -p ${target.port} ${host}   # TLS`,
    '',
    `TURN over TLS on ${host}:${target.port} uses a self-signed certificate generated for this run:`,
    `  ${credentials.certFile ?? '(configured with --cert)'}`,
  ];
}
