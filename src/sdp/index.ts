/** SDP (RFC 8866): the model, parser and writer with WebRTC's attributes, and our answer to an offer. */
export * from './answer.js';
export * from './codec.js';
export * from './errors.js';
export * from './extmap.js';
export * from './lines.js';
export * from './negotiate.js';
export * from './parameters.js';
export * from './parse.js';
export * from './simulcast.js';
export * from './ssrc.js';
export * from './transport.js';
export * from './types.js';
export * from './write.js';
