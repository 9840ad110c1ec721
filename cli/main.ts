#!/usr/bin/env bun
// The idp command: one commander program, one catch that turns every failure into one sentence.
import { Command } from 'commander';
import { VERSION } from '../src/version.ts';
import { auditCommand } from './commands/audit.ts';
import { backupCommand } from './commands/backup.ts';
import { clientCommand } from './commands/client.ts';
import { dbCommand } from './commands/db.ts';
import { discoveryCommand } from './commands/discovery.ts';
import { initCommand } from './commands/init.ts';
import { keysCommand } from './commands/keys.ts';
import { restoreCommand } from './commands/restore.ts';
import { scopeCommand } from './commands/scope.ts';
import { serveCommand } from './commands/serve.ts';
import { tokensCommand } from './commands/tokens.ts';
import { userCommand } from './commands/user.ts';
import { exitCodeFor } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command('idp')
    .description('A single-binary OpenID Connect identity provider')
    .version(VERSION, '-v, --version')
    .option('--data-dir <dir>', 'data directory (env IDP_DATA_DIR, default ./idp-data)')
    .option('--config <file>', 'config file (env IDP_CONFIG, default DATA_DIR/idp.toml when present)')
    .showHelpAfterError('(run idp --help for usage)')
    .addCommand(initCommand())
    .addCommand(serveCommand())
    .addCommand(clientCommand())
    .addCommand(userCommand())
    .addCommand(scopeCommand())
    .addCommand(keysCommand())
    .addCommand(tokensCommand())
    .addCommand(auditCommand())
    .addCommand(discoveryCommand())
    .addCommand(dbCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand());
  // Route commander's own errors (unknown option, bad value) through the same exit path.
  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

// Only when run as the program (bun cli/main.ts, the compiled binary); importing it builds nothing.
if (import.meta.main) {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error, (line) => process.stderr.write(line));
  }
}
