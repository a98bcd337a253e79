/**
 * @module @sotto/client-node
 * The Sotto client for Node: SQLite profile store, WebSocket transport, Node ports.
 */
export * from './node-client.js';
export * from './sqlite-client-store.js';
export * from './ws-transport.js';
export * from './node-ports.js';
export * from './calls/index.js';
export { SottoClient } from '@sotto/core';
