// Global options shared by every command: where the data dir and config file are.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { openInstallation, type Installation } from '../src/installation.ts';

export interface GlobalOptions {
  dataDir: string;
  configFile: string | undefined;
}

export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<{ dataDir?: string; config?: string }>();
  return {
    dataDir: resolve(options.dataDir ?? process.env.IDP_DATA_DIR ?? './idp-data'),
    configFile: options.config ?? process.env.IDP_CONFIG,
  };
}

/** Opens the installation for one command and always closes its store. */
export async function withInstallation<T>(command: Command, run: (installation: Installation) => Promise<T>): Promise<T> {
  const installation = await openInstallation({ ...globalOptions(command), env: process.env });
  try {
    return await run(installation);
  } finally {
    await installation.store.close();
  }
}
