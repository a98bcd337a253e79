/**
 * @module @sotto/core/testing
 * Test support for code built on the engine: the ClientStore contract suite
 * that every store implementation runs, and its sample records.
 */
export * from './client-store-contract.js';
export * from './client-store-fixtures.js';
