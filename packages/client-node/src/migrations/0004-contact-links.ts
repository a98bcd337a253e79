/**
 * @module migrations/0004-contact-links
 * Contacts remember whether their request came through this member's contact link: in lockdown
 * mode only those are shown in full.
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0004: ClientMigration = {
  version: 4,
  name: 'contact-links',
  up: `ALTER TABLE contacts ADD COLUMN via_link INTEGER NOT NULL DEFAULT 0;`,
};
