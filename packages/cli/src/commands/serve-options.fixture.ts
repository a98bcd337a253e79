/** @module commands/serve-options.fixture The defaults `sotto serve` passes when no flag is given: the base the serve-settings tests change one flag of. */
import type { ServeOptions } from './serve-settings.js';

export const BASE_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: '8080',
  data: '/tmp/sotto-settings-test',
  inviteOnly: false,
  retentionDays: '30',
  logLevel: 'info',
  sync: 'FULL',
  rateLimit: '200',
  ringsPerMinute: '6',
  rateLimits: true,
  trustProxy: false,
  freshAccountHours: '48',
  turnTtl: '3600',
  maxConnectionsPerAddress: '256',
};
