/**
 * @module @sotto/core/testing
 * Test support for code built on the engine: the ClientStore contract suite
 * that every store implementation runs, its sample records, and the call machine's consent rules.
 */
export * from './client-store-contract.js';
export * from './client-store-fixtures.js';
export * from './call-rules.js';
