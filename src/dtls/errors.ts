import type { AlertDescription } from './alert.js';

/** Stable codes for every way the DTLS layer can refuse input or a call. */
export type DtlsErrorCode =
  | 'ERR_DTLS_TOO_SHORT'
  | 'ERR_DTLS_BAD_RECORD'
  | 'ERR_DTLS_BAD_VERSION'
  | 'ERR_DTLS_DECODE'
  | 'ERR_DTLS_ILLEGAL_PARAMETER'
  | 'ERR_DTLS_UNEXPECTED_MESSAGE'
  | 'ERR_DTLS_HANDSHAKE_FAILURE'
  | 'ERR_DTLS_BAD_CERTIFICATE'
  | 'ERR_DTLS_DECRYPT'
  | 'ERR_DTLS_NOT_CONNECTED'
  | 'ERR_DTLS_NO_SRTP'
  | 'ERR_DTLS_INVALID_ARGUMENT';

/** Where a failure happened: the wire structure or the operation being processed. */
export type DtlsErrorSite =
  | 'record'
  | 'handshake-header'
  | 'client-hello'
  | 'server-hello'
  | 'hello-verify-request'
  | 'extensions'
  | 'certificate'
  | 'server-key-exchange'
  | 'certificate-request'
  | 'client-key-exchange'
  | 'certificate-verify'
  | 'finished'
  | 'alert'
  | 'key-exchange'
  | 'endpoint';

/**
 * A DTLS failure with a stable code. Decoders return these rather than throw;
 * the endpoint turns them into the alert they carry. Only misuse of the public
 * API (exporting keys before the handshake, bad options) throws one.
 */
export class DtlsError extends Error {
  /** Stable machine-readable code. */
  readonly code: DtlsErrorCode;
  /** The structure or operation that failed. */
  readonly site: DtlsErrorSite;
  /** The fatal alert to send for this failure (RFC 5246 §7.2.2), when it is a protocol failure. */
  readonly alert: AlertDescription | undefined;

  constructor(code: DtlsErrorCode, site: DtlsErrorSite, message: string, alert?: AlertDescription) {
    super(message);
    this.name = 'DtlsError';
    this.code = code;
    this.site = site;
    this.alert = alert;
  }
}

/** The outcome of a decoder: the value, or the error explaining why the bytes were refused. */
export type DtlsResult<T> = { ok: true; value: T } | { ok: false; error: DtlsError };

/** A successful result. */
export function ok<T>(value: T): DtlsResult<T> {
  return { ok: true, value };
}

/** A failed decode of `site` answered with a decode_error alert (RFC 5246 §7.2.2). */
export function decodeFailure<T>(site: DtlsErrorSite, message: string): DtlsResult<T> {
  return { ok: false, error: new DtlsError('ERR_DTLS_DECODE', site, message, 50) };
}

/** A well-formed value that is not allowed, answered with illegal_parameter. */
export function illegalParameter<T>(site: DtlsErrorSite, message: string): DtlsResult<T> {
  return { ok: false, error: new DtlsError('ERR_DTLS_ILLEGAL_PARAMETER', site, message, 47) };
}
