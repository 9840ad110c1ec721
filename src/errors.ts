// Errors whose message is written for an operator: the CLI prints them as one sentence and
// the server logs them, never with a stack trace.
export class IdpError extends Error {
  override readonly name: string = 'IdpError';
}

/** A setting or config file is wrong; the message names the key and where it came from. */
export class ConfigError extends IdpError {
  override readonly name = 'ConfigError';
}
