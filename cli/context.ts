// Global options shared by every command: where the data dir and config file are.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createHooks } from '../src/adapter/hooks.ts';
import { loadAdapter } from '../src/adapter/load.ts';
import { epochSeconds } from '../src/clock.ts';
import { createEvents } from '../src/events/events.ts';
import type { EventDetails, EventSink, EventType, IdpEvent } from '../src/events/types.ts';
import { openInstallation, type Installation } from '../src/installation.ts';
import { createLogger } from '../src/log.ts';

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

/** What an admin command records: one event, now, about a user and/or a client. */
export interface AdminEvents extends EventSink {
  record<T extends EventType>(type: T, about: { userId?: string | null; clientId?: string | null }, details: EventDetails[T]): Promise<void>;
}

/**
 * The events of admin changes: written to the audit log and, when the `adapter` setting names one,
 * handed to the adapter's onEvent, as the server does. The adapter is loaded before anything changes,
 * so a broken one fails the command with its one sentence; a failing onEvent is only a warning.
 */
export async function adminEvents(installation: Installation): Promise<AdminEvents> {
  const { config, store, secret, clock } = installation;
  const log = createLogger('warn');
  const hooks = createHooks({ adapter: await loadAdapter(config.adapter), secret, config, log });
  const sink = createEvents({ audit: store.audit, hooks, log, auditTokenEvents: config.audit_token_events });
  return {
    emit: (event) => sink.emit(event),
    record: (type, about, details) =>
      sink.emit({ type, at: epochSeconds(clock), userId: about.userId ?? null, clientId: about.clientId ?? null, details } as IdpEvent),
  };
}

/** withInstallation for commands that change something: `run` also gets the events to record. */
export function withEvents<T>(command: Command, run: (installation: Installation, events: AdminEvents) => Promise<T>): Promise<T> {
  return withInstallation(command, async (installation) => run(installation, await adminEvents(installation)));
}
