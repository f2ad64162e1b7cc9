/**
 * The logging interface the protocol layers accept: the subset of pino's
 * Logger they use, so they do not depend on pino or on configuration.
 */
export interface Log {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** A logger that drops everything (the default in tests and libraries). */
export const silentLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
