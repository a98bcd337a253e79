/**
 * @module main
 * The `sotto` command line: assembles the commands and reports errors as one line.
 */
import { Command } from 'commander';
import { SOFTWARE_VERSION } from '@sotto/protocol';
import { registerAdmin } from './commands/admin.js';
import { registerMemberCommands } from './commands/member.js';
import { registerCallCommands } from './commands/calls.js';
import { registerServe } from './commands/serve.js';
import { registerAdvisories } from './commands/advisories.js';
import { registerDefenceCommands } from './commands/defences.js';
import { registerDeviceCommands } from './commands/devices.js';
import { registerFileCommands } from './commands/files.js';
import { registerMessageActionCommands } from './commands/message-actions.js';
import { createOutput } from './output.js';
import { reportError } from './output.js';
import type { GlobalOptions } from './profile.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('sotto')
    .description('Sotto: end-to-end encrypted messaging you can host yourself')
    .version(SOFTWARE_VERSION)
    .option('--profile <dir>', 'client profile directory (default $SOTTO_PROFILE or ~/.sotto)')
    .option('--json', 'machine-readable output: one JSON object per line')
    .option('--log-level <level>', 'client log level on stderr: debug, info, warn, error, silent', 'warn')
    .showHelpAfterError()
    // Global options go before the command, so `serve --log-level` reaches serve.
    .enablePositionalOptions()
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  registerServe(program);
  registerAdmin(program, () => globals().json ?? false);
  registerMemberCommands(program, globals);
  registerCallCommands(program, globals);
  registerDefenceCommands(program, globals);
  registerDeviceCommands(program, globals);
  registerFileCommands(program, globals);
  registerMessageActionCommands(program, globals);
  registerAdvisories(program, globals, () => createOutput(globals().json ?? false));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error && typeof error === 'object' && 'exitCode' in error && typeof (error as { exitCode: unknown }).exitCode === 'number') {
      const code = (error as { exitCode: number; code?: string }).exitCode;
      const benign = (error as { code?: string }).code === 'commander.helpDisplayed' || (error as { code?: string }).code === 'commander.version';
      process.exit(benign ? 0 : code === 0 ? 0 : 2);
    }
    reportError(error, globals().json ?? false);
  }
}
