/**
 * @module @sotto/client-node
 * The Sotto client for Node: SQLite profile store, WebSocket transport, Node ports, node:crypto Ed25519.
 */
export * from './node-client.js';
export * from './sqlite-client-store.js';
export * from './ws-transport.js';
export * from './node-ports.js';
export * from './node-ed25519.js';
export * from './node-hkdf.js';
export { SottoClient } from '@sotto/core';
export * from './file-ports.js';
