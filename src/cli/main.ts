#!/usr/bin/env node
/**
 * The `switchboard` command. Thin on purpose: it picks the command, parses
 * flags and configuration through src/server/, and reports. Exit codes: 0
 * done or stopped by a signal, 1 could not start, 2 bad usage or setting.
 */
import { App } from '../server/app.js';
import { type Config, type LoadedConfig, loadConfig, parseCommandLine } from '../server/config.js';
import {
  createDevCertificate,
  createDevCredentials,
  type DevCredentials,
  formatDevBanner,
} from '../server/dev.js';
import { ConfigError } from '../server/errors.js';
import { exitOnSignals } from '../server/lifecycle.js';
import { createLogger } from '../server/logger.js';
import { packageVersion } from '../server/version.js';
import type { Log } from '../util/log.js';
import { commandHelp, generalHelp, type ServerCommand, tokenHelp } from './help.js';
import { runToken } from './token.js';

const SERVER_COMMANDS: readonly string[] = ['start', 'turn'] satisfies ServerCommand[];

function isServerCommand(name: string | undefined): name is ServerCommand {
  return name !== undefined && SERVER_COMMANDS.includes(name);
}

function fail(lines: string[], hint: string): number {
  for (const line of lines) process.stderr.write(`switchboard: ${line}\n`);
  process.stderr.write(`${hint}\n`);
  return 2;
}

/**
 * Runs the command line. Resolves with an exit code when the command is
 * finished, or undefined when a server now runs until a signal stops it.
 */
async function main(args: string[]): Promise<number | undefined> {
  const [command, ...rest] = args;
  if (command === undefined) {
    process.stderr.write(generalHelp());
    return 2;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = rest[0];
    if (topic === undefined) process.stdout.write(generalHelp());
    else if (isServerCommand(topic)) process.stdout.write(commandHelp(topic));
    else if (topic === 'token') process.stdout.write(tokenHelp());
    else return fail([`no help for "${topic}"`], 'Commands: start, turn, token, help, version.');
    return 0;
  }
  if (command === 'token') return runToken(rest, process.env);
  if (command === 'version' || command === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (!isServerCommand(command)) {
    return fail([`unknown command "${command}"`], 'Run "switchboard --help" for the commands.');
  }
  return runServer(command, rest);
}

async function runServer(command: ServerCommand, args: string[]): Promise<number | undefined> {
  let loaded: LoadedConfig;
  let dev: DevCredentials | undefined;
  try {
    const commandLine = parseCommandLine(args, { allowDev: command === 'start' });
    if (commandLine.help) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    dev = commandLine.dev ? { ...createDevCredentials(), ...createDevCertificate() } : undefined;
    // The all-in-one server always has its HTTP port; `turn` serves HTTP only when asked to.
    const commandDefaults = command === 'start' ? { http: { listen: ['0.0.0.0:7880'] } } : undefined;
    loaded = loadConfig({ commandLine, env: process.env, dev, commandDefaults });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail([...error.problems], `Run "switchboard ${command} --help" for the flags.`);
  }

  const { config } = loaded;
  const log = createLogger({ level: config.log.level });

  // The signal handlers go in before the first log line and before anything
  // binds: a signal during start waits for the start to finish, then closes
  // what started. (A JS handler runs only after this synchronous code, by
  // which time `starting` is set.)
  let starting: Promise<{ running: Running } | { error: unknown }> | undefined;
  const removeSignalHandlers = exitOnSignals({
    close: async () => {
      const outcome = await starting;
      if (outcome === undefined) return;
      if ('error' in outcome) throw outcome.error;
      await outcome.running.close();
    },
    log,
  });
  log.info(
    { version: packageVersion(), command, configFile: loaded.configFile, dev: dev !== undefined },
    'starting',
  );
  for (const warning of loaded.warnings) log.warn({}, warning);
  starting = startServices(command, config, log, dev !== undefined).then(
    (running) => ({ running }),
    (error: unknown) => ({ error }),
  );
  const outcome = await starting;
  if ('error' in outcome) {
    removeSignalHandlers();
    // A start failure is an operating condition (a port in use), not a bug: a clear line, no stack.
    const { code, message } = outcome.error as NodeJS.ErrnoException;
    log.fatal({ code, reason: message }, 'cannot start');
    process.stderr.write(`switchboard: cannot start: ${message}\n`);
    return 1;
  }
  const { running } = outcome;
  // SIGHUP reloads the TLS certificate; SIGUSR1 drains (refuses new allocations, keeps the rest).
  process.on('SIGHUP', () => running.reload());
  process.on('SIGUSR1', () => {
    log.info({ signal: 'SIGUSR1' }, 'drain requested');
    running.drain();
  });
  if (dev)
    process.stderr.write(formatDevBanner(dev, running.turn.addresses, running.turn.server.tlsAddresses));
  return undefined;
}

/** What a server command leaves running. */
type Running = App;

async function startServices(
  command: ServerCommand,
  config: Config,
  log: Log,
  dev: boolean,
): Promise<Running> {
  // `turn` is the STUN/TURN server alone; `start` adds signaling, the admin API and the demo.
  return App.start(config, log, { signaling: command === 'start', dev });
}

const exitCode = await main(process.argv.slice(2));
if (exitCode !== undefined) process.exitCode = exitCode;
