/**
 * @module @sotto/cli
 * The `sotto` command line.
 */
export { main } from './main.js';
