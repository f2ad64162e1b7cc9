/** DTLS 1.2 (RFC 6347) client and server with DTLS-SRTP key export (RFC 5764), on node:crypto. */

export { type Alert, AlertDescription, AlertLevel, alertName, decodeAlert, encodeAlert } from './alert.js';
export { CIPHER_SUITES, type CipherSuite, type CipherSuiteName, cipherSuiteById } from './cipher-suite.js';
export { ContentType, HandshakeType, ProtocolVersion } from './constants.js';
export {
  type DtlsCloseInfo,
  DtlsEndpoint,
  type DtlsEndpointEvents,
  type DtlsEndpointOptions,
  type DtlsSrtpKeys,
  type DtlsState,
  type DtlsStats,
} from './endpoint.js';
export { DtlsError, type DtlsErrorCode, type DtlsErrorSite, type DtlsResult } from './errors.js';
export { certificateFingerprint, type DtlsFingerprint, matchesFingerprint } from './fingerprint.js';
export type { DtlsCertificate } from './handshake.js';
export { prf } from './prf.js';
export { type DtlsRecord, decodeRecord, decodeRecords, isDtlsRecord } from './record.js';
export { DtlsReplayWindow } from './replay-window.js';
