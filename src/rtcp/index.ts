/** RTCP: compound packets (RFC 3550 §6.1) and each packet type's codec. */
export * from './bye.js';
export * from './compound.js';
export * from './errors.js';
export * from './feedback.js';
export * from './fir.js';
export * from './header.js';
export * from './nack.js';
export * from './packet.js';
export * from './pli.js';
export * from './receiver-report.js';
export * from './remb.js';
export * from './report-block.js';
export * from './sdes.js';
export * from './sender-report.js';
export * from './transport-cc.js';
