/** TURN (RFC 8656): server, client, credentials and the pieces they share. */
export * from './allocation.js';
export * from './auth.js';
export * from './channel-data.js';
export * from './client.js';
export * from './errors.js';
export * from './options.js';
export * from './peer-filter.js';
export * from './port-pool.js';
export * from './rest-credentials.js';
export * from './server.js';
