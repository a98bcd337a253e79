/**
 * @module storage/contracts/index
 * The storage contract, domain by domain: `runStorageContract(name, makeStore)` runs every
 * domain's suite against one backend, as Hono's routers run router/common.case.test.ts.
 * `makeStore` must open a new, empty store each time: every test gets its own.
 */
import { runAccountsContract } from './accounts.contract.js';
import { runBlobsContract } from './blobs.contract.js';
import { runContactsContract } from './contacts.contract.js';
import { runDefencesContract } from './defences.contract.js';
import { runDevicesContract } from './devices.contract.js';
import { runGroupCallsContract } from './group-calls.contract.js';
import { runGroupsContract } from './groups.contract.js';
import type { MakeStore } from './harness.js';
import { runKeyPackagesContract } from './key-packages.contract.js';
import { runMailboxesContract } from './mailboxes.contract.js';
import { runPushContract } from './push.contract.js';
import { runSettingsContract } from './settings.contract.js';

export type { MakeStore } from './harness.js';

export function runStorageContract(name: string, makeStore: MakeStore): void {
  runAccountsContract(name, makeStore);
  runSettingsContract(name, makeStore);
  runContactsContract(name, makeStore);
  runKeyPackagesContract(name, makeStore);
  runGroupsContract(name, makeStore);
  runMailboxesContract(name, makeStore);
  runDefencesContract(name, makeStore);
  runDevicesContract(name, makeStore);
  runBlobsContract(name, makeStore);
  runPushContract(name, makeStore);
  runGroupCallsContract(name, makeStore);
}
