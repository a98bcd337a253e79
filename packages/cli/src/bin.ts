#!/usr/bin/env node
/**
 * @module bin
 * Entry point of the `sotto` executable.
 */
import { main } from './main.js';

await main(process.argv);
