/**
 * Recording building blocks: depacketizers from RTP to frames, codec
 * configuration records, and a crash-safe streaming WebM/Matroska writer.
 */
export * from './av1-config.js';
export * from './avc-config.js';
export * from './codec.js';
export * from './depacketizer/index.js';
export * from './ebml.js';
export * from './errors.js';
export * from './matroska-ids.js';
export * from './opus-head.js';
export * from './packetizer.js';
export * from './sink.js';
export * from './video-track.js';
export * from './vpx-frame-header.js';
export * from './webm-reader.js';
export * from './webm-repair.js';
export * from './webm-writer.js';
