/**
 * Alert protocol (RFC 5246 §7.2, unchanged by RFC 6347).
 *
 *   struct {
 *       AlertLevel level;            // warning(1), fatal(2)
 *       AlertDescription description;
 *   } Alert;
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';

/** Alert levels. */
export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** The alert descriptions this layer sends or names (RFC 5246 §7.2, RFC 5746, RFC 7627). */
export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateUnknown: 46,
  illegalParameter: 47,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  insufficientSecurity: 71,
  internalError: 80,
  userCanceled: 90,
  noRenegotiation: 100,
  unsupportedExtension: 110,
} as const;

/** One alert description code (any byte may arrive from a peer). */
export type AlertDescription = number;

/** A decoded alert. */
export interface Alert {
  level: number;
  description: AlertDescription;
}

/** Size of an encoded alert. */
export const ALERT_SIZE = 2;

/** Decodes an alert record's plaintext; exactly two bytes. Never throws. */
export function decodeAlert(buf: Buffer): DtlsResult<Alert> {
  if (buf.length !== ALERT_SIZE) return decodeFailure('alert', `an alert is 2 bytes, not ${buf.length}`);
  return ok({ level: buf[0], description: buf[1] });
}

/** Encodes an alert. */
export function encodeAlert(level: number, description: AlertDescription): Buffer {
  return Buffer.from([level, description]);
}

/** A readable name for an alert code, for close reasons and logs. */
export function alertName(description: AlertDescription): string {
  for (const [name, code] of Object.entries(AlertDescription)) if (code === description) return name;
  return `alert_${description}`;
}
