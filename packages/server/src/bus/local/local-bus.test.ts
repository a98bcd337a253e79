/** @module bus/local/local-bus.test The local bus runs the bus contract suite. */
import { runBusContract } from '../bus.contract.js';
import { LocalBus } from './local-bus.js';

runBusContract('local', async () => new LocalBus());
