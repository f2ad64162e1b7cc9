/** ICE (RFC 8445) for the media server: an ICE-lite agent on a shared UDP socket and a passive ICE-TCP port. */
export * from './candidate.js';
export * from './credentials.js';
export * from './demux.js';
export * from './errors.js';
export * from './framing.js';
export * from './lite-agent.js';
export * from './tcp-connection.js';
export * from './tcp-mux.js';
export * from './tuple.js';
export * from './udp-mux.js';
