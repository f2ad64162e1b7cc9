/** Stable codes for the ways the server layer refuses to start. */
export type ServerErrorCode =
  /** A flag the command does not know, a flag without its value, a stray argument. */
  | 'ERR_CONFIG_USAGE'
  /** The configuration file cannot be read or is not valid YAML. */
  | 'ERR_CONFIG_FILE'
  /** A setting failed validation. */
  | 'ERR_CONFIG_INVALID';

/**
 * A configuration problem found before anything starts. The CLI prints
 * `problems` one per line and exits with code 2, without a stack trace:
 * each line already names the setting and where its value came from.
 */
export class ConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code: ServerErrorCode;
  /** One complete, human-readable line per problem. */
  readonly problems: readonly string[];

  constructor(code: ServerErrorCode, problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.code = code;
    this.problems = problems;
  }
}
