import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryClientStore } from './memory-store.js';
import { defineClientStoreContract } from './testing/index.js';

defineClientStoreContract('memory', { test, assert }, async () => new MemoryClientStore());
