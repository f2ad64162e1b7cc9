/** STUN (RFC 8489): codec, attributes, credentials, nonces and client transactions. */
export * from './address.js';
export * from './constants.js';
export * from './credentials.js';
export * from './error-code.js';
export * from './errors.js';
export * from './fingerprint.js';
export * from './integrity.js';
export * from './message.js';
export * from './nonce.js';
export * from './password-algorithms.js';
export * from './transaction.js';
export * from './unknown-attributes.js';
