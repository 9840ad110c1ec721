// One place turns failures into one sentence on stderr and an exit code; never a stack trace.
import { CommanderError } from 'commander';
import { IdpError } from '../src/errors.ts';

/** A mistake in how the command was called; the message says what to do instead. */
export class CliError extends IdpError {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export function exitCodeFor(error: unknown, writeError: (line: string) => void): number {
  if (error instanceof CommanderError) {
    // Commander already printed its own message (or the help/version text); its errors are usage errors.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof CliError) {
    writeError(`idp: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof IdpError) {
    writeError(`idp: ${error.message}\n`);
    return 1;
  }
  if (isPromptCancelled(error)) {
    writeError('idp: cancelled.\n');
    return 130;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeError(`idp: unexpected error: ${message}\n`);
  if (process.env.IDP_DEBUG) writeError(`${(error as Error)?.stack ?? ''}\n`);
  return 1;
}

function isPromptCancelled(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExitPromptError';
}
