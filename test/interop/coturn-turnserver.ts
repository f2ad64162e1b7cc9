/**
 * Starts coturn's `turnserver` on a free loopback port for interop tests.
 *
 * Verified with coturn 4.6.1 (Debian bookworm). Long-term credentials:
 *
 *   turnserver -n --listening-ip=127.0.0.1 --listening-port=P --relay-ip=127.0.0.1 \
 *     --min-port=MIN --max-port=MAX --allow-loopback-peers --realm=example.org \
 *     --no-tls --no-dtls --no-cli --log-file=stdout --simple-log --verbose \
 *     --pidfile=DIR/turnserver.pid --db=DIR/turndb --lt-cred-mech --user=test:secret
 *
 * REST credentials: the same with `--use-auth-secret --static-auth-secret=S`
 * instead of the last two flags. (With both --lt-cred-mech and
 * --use-auth-secret coturn prints a CONFIGURATION ALERT and the secret wins,
 * so they are never mixed.)
 *
 * What we learnt about it:
 * - It prints no "ready" line. The last start-up lines ("Total General
 *   servers: 2", "SQLite DB connection success: …") come from other threads
 *   and may precede the UDP listener, so readiness is "answers a STUN Binding
 *   request on the port", polled.
 * - It listens on UDP (twice, SO_REUSEPORT) and TCP at the same port, hence
 *   `freePort()` checks both.
 * - Without `--pidfile` it writes /var/run/turnserver.pid and without `--db`
 *   it opens /var/lib/turn/turndb, both shared between parallel runs: each
 *   instance gets its own temporary folder for them.
 * - "socket: Protocol not supported" on stderr is its SCTP listener failing
 *   on a kernel without SCTP: harmless.
 * - `--verbose` logs one line per request ("session …: realm <…> user <…>:
 *   incoming packet ALLOCATE processed, success"), useful in failure output.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type PortRange } from '../helpers/ports.js';
import { type StartedProcess, startProcess } from '../helpers/process.js';
import { answersStun } from '../helpers/stun-probe.js';

/** How clients authenticate to the coturn instance. */
export type CoturnAuth =
  | { kind: 'long-term'; users: Record<string, string> }
  | { kind: 'rest'; secret: string };

/** Options of `startCoturn`. */
export interface CoturnOptions {
  auth: CoturnAuth;
  /** Relay ports coturn may use; take one from RELAY_PORT_RANGES. */
  relayPorts: PortRange;
  /** Default 'example.org'. */
  realm?: string;
  /** More flags, appended last. */
  extraArgs?: string[];
  /** Default 10 000 ms. */
  readyTimeoutMs?: number;
}

/** A running coturn. */
export interface CoturnServer {
  host: '127.0.0.1';
  port: number;
  realm: string;
  relayPorts: PortRange;
  /** Its log so far (stdout and stderr). */
  log(): string;
  /** Stops it and removes its temporary folder. Idempotent. */
  stop(): Promise<void>;
}

/** The turnserver command-line arguments for a given port and working folder. */
export function coturnArgs(options: CoturnOptions, port: number, workDir: string): string[] {
  const args = [
    '-n', // no configuration file
    '--listening-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--relay-ip=127.0.0.1',
    `--min-port=${options.relayPorts.min}`,
    `--max-port=${options.relayPorts.max}`,
    '--allow-loopback-peers',
    `--realm=${options.realm ?? 'example.org'}`,
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--log-file=stdout',
    '--simple-log',
    '--verbose',
    `--pidfile=${join(workDir, 'turnserver.pid')}`,
    `--db=${join(workDir, 'turndb')}`,
  ];
  if (options.auth.kind === 'long-term') {
    args.push('--lt-cred-mech');
    for (const [name, password] of Object.entries(options.auth.users))
      args.push(`--user=${name}:${password}`);
  } else {
    args.push('--use-auth-secret', `--static-auth-secret=${options.auth.secret}`);
  }
  return [...args, ...(options.extraArgs ?? [])];
}

/**
 * Starts turnserver on a free 127.0.0.1 port and waits until it answers STUN.
 * Retries on another port if the first one was taken in the meantime.
 */
export async function startCoturn(options: CoturnOptions): Promise<CoturnServer> {
  const workDir = await mkdtemp(join(tmpdir(), 'switchboard-coturn-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort('127.0.0.1');
    let server: StartedProcess;
    try {
      server = await startProcess('turnserver', coturnArgs(options, port, workDir), {
        readyProbe: () => answersStun({ host: '127.0.0.1', port }),
        readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
      });
    } catch (error) {
      lastError = error;
      continue;
    }
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      realm: options.realm ?? 'example.org',
      relayPorts: options.relayPorts,
      log: () => server.output(),
      stop() {
        stopped ??= server.stop().then(() => rm(workDir, { recursive: true, force: true }));
        return stopped;
      },
    };
  }
  await rm(workDir, { recursive: true, force: true });
  throw lastError;
}
