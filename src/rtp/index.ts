/** RTP: packets (RFC 3550 §5.1), header extensions (RFC 8285) and sequence unwrapping. */
export * from './errors.js';
export * from './header-extension.js';
export * from './packet.js';
export * from './sequence-unwrapper.js';
