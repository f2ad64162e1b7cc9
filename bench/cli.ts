/**
 * What every benchmark's command line shares: option checks that refuse with
 * a usage message, the figures' formatting, medians, and the entry point
 * that kills the servers and load processes however the run ends.
 */
import { parseArgs } from 'node:util';
import { killAllChildren } from './server-process.js';

/** A bad option: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** An integer option within [min, max]. */
export function integer(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

/** A number of seconds within [min, max]. */
export function seconds(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max}`);
  }
  return value;
}

/** Extra arguments from an environment variable, split on spaces. */
export function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((word) => word !== '');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The median of the numbers that are not NaN; NaN when there are none. */
export function median(values: number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A figure with `digits` decimals, or NA. */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'NA';
}

/** A whole percentage, or NA. */
export function percent(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)}%` : 'NA';
}

/** One figure of the last line. */
export function keyValue(key: string, value: number, digits: number): string {
  return `${key}=${fixed(value, digits)}`;
}

/** A round's failure, with the tail of the server's output that may explain it. */
export function roundFailure(name: string, error: unknown, serverOutput: string): Error {
  const tail = serverOutput.split('\n').slice(-30).join('\n');
  return new Error(
    `${name}: ${error instanceof Error ? error.message : String(error)}\n--- server output (tail) ---\n${tail}`,
  );
}

/**
 * Ends a round: stops the load processes (at once after a failure, when some
 * may still wait for a command) and then the server under test.
 */
export async function endRound(
  workers: readonly { kill(): void; finish(): Promise<unknown> }[],
  failed: boolean,
  stopServer: () => Promise<void>,
): Promise<void> {
  if (failed) for (const worker of workers) worker.kill();
  await Promise.all(workers.map((worker) => worker.finish()));
  await stopServer();
}

/**
 * Runs a benchmark: parses its options (undefined means help was printed),
 * runs it, and exits; every child process is killed on SIGINT, SIGTERM and
 * failure.
 */
export function runBenchmark<Options>(
  name: string,
  usage: string,
  parse: (argv: string[], env: NodeJS.ProcessEnv) => Options | undefined,
  run: (options: Options) => Promise<void>,
): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  const main = async (): Promise<number> => {
    let options: Options | undefined;
    try {
      options = parse(process.argv.slice(2), process.env);
    } catch (error) {
      if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
      process.stderr.write(`${name}: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (!options) return 0;
    await run(options);
    return 0;
  };
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      killAllChildren();
      process.exit(1);
    },
  );
}

/** A reader of one setting: the flag when given, else the environment variable, else the default. */
export function settingPicker(
  env: NodeJS.ProcessEnv,
): (flag: string | undefined, variable: string, fallback: string) => string {
  return (flag, variable, fallback) => flag ?? env[variable] ?? fallback;
}

/** The flags of a benchmark: each one's parseArgs option (strings and booleans). */
type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;
/** What the flags read: a string or a boolean for each one given. */
type FlagValues<O extends FlagOptions> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string;
};

/**
 * Reads a benchmark's flags strictly (an unknown flag is a usage error),
 * with `-h`/`--help` added: the values, and a picker that prefers a flag,
 * then a BENCH_* variable, then the default; or undefined once the usage
 * text was printed for --help.
 */
export function readBenchFlags<O extends FlagOptions>(
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: O,
  usage: string,
):
  | { values: FlagValues<O>; pick: (flag: string | undefined, variable: string, fallback: string) => string }
  | undefined {
  const { values } = parseArgs({
    args: argv,
    options: { ...options, help: { type: 'boolean', short: 'h' } } as FlagOptions,
    strict: true,
  });
  if ((values as { help?: boolean }).help) {
    process.stdout.write(usage);
    return undefined;
  }
  return { values: values as FlagValues<O>, pick: settingPicker(env) };
}
