/**
 * SDP (RFC 8866): the model, parser and writer with WebRTC's attributes, our answer to an offer,
 * the RTP-parameters model, and the SFU's subscribe offers.
 */
export * from './answer.js';
export * from './capabilities.js';
export * from './codec.js';
export * from './errors.js';
export * from './extmap.js';
export * from './h264-profile-level-id.js';
export * from './lines.js';
export * from './negotiate.js';
export * from './negotiation-error.js';
export * from './offer.js';
export * from './parameters.js';
export * from './parse.js';
export * from './publish.js';
export * from './rtp-parameters.js';
export * from './simulcast.js';
export * from './ssrc.js';
export * from './subscribe-state.js';
export * from './transport.js';
export * from './types.js';
export * from './write.js';
