// `idp audit`: the append-only audit log (sign-ins, consents, tokens issued and revoked, admin
// changes), newest events last. It never holds a secret, token, code or password, so it prints as stored.
import { Command } from 'commander';
import { epochSeconds } from '../../src/clock.ts';
import type { Installation } from '../../src/installation.ts';
import type { AuditEventRecord, AuditQuery } from '../../src/store/store.ts';
import { withInstallation } from '../context.ts';
import { CliError } from '../errors.ts';
import { isoTime, print, table } from '../output.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

interface AuditOptions {
  since?: string;
  user?: string;
  client?: string;
  limit?: string;
  json?: boolean;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
const DURATION = /^(\d{1,9})([smhdw])$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/i;
const SINCE_HELP = 'an ISO 8601 date or date-time (2026-01-31, 2026-01-31T08:00:00Z) or a duration back from now (30m, 12h, 7d)';

/**
 * --since: a duration back from `now` (30s, 30m, 12h, 7d, 2w) or an ISO 8601 date or date-time. A date
 * alone is midnight UTC; a date-time without an offset is UTC too, as idp audit prints its times.
 */
export function parseSince(value: string, now: number): number {
  const text = value.trim();
  const duration = DURATION.exec(text);
  if (duration) return now - Number(duration[1]) * UNIT_SECONDS[duration[2] as keyof typeof UNIT_SECONDS];
  const parts = ISO_DATE_TIME.exec(text);
  if (parts) {
    const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
    // Date.parse takes 2026-02-31 for 3 March; a day that is not in its month is a mistake.
    const realDay = new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
    const withZone = parts[4] !== undefined && parts[7] === undefined ? `${text}Z` : text;
    const ms = Date.parse(withZone.toUpperCase());
    if (realDay && !Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new CliError(`--since ${JSON.stringify(value)} is not ${SINCE_HELP}.`);
}

export function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!/^\d+$/.test(value.trim()) || limit < 1 || limit > MAX_LIMIT) {
    throw new CliError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(value)}.`);
  }
  return limit;
}

interface AuditView {
  id: number;
  at: string;
  type: string;
  user_id: string | null;
  /** The user's current username; null when there is no user or it was removed since. */
  username: string | null;
  client_id: string | null;
  /** The client's current name; null when there is no client or it was removed since. */
  client_name: string | null;
  details: Record<string, unknown>;
}

interface Listing {
  views: AuditView[];
  /** --user named no current user: its value was used as a user id. */
  unknownUser: string | null;
}

async function listEvents(installation: Installation, options: AuditOptions): Promise<Listing> {
  const { users, clients, audit } = installation.store;
  const query: AuditQuery = { limit: parseLimit(options.limit) };
  if (options.since !== undefined) query.since = parseSince(options.since, epochSeconds(installation.clock));
  let unknownUser: string | null = null;
  if (options.user !== undefined) {
    // A user id first, then a username. Neither: the value is taken as the id of a user removed since,
    // whose events stay in the log under that id.
    const user = (await users.getUser(options.user)) ?? (await users.findUserByUsername(options.user));
    query.userId = user?.id ?? options.user;
    if (!user) unknownUser = options.user;
  }
  // A client id that is no longer registered still finds the events of the removed client.
  if (options.client !== undefined) query.clientId = options.client;

  const usernames = new Map<string, string | null>();
  const clientNames = new Map<string, string | null>();
  const views: AuditView[] = [];
  for (const event of await audit.list(query)) {
    if (event.userId !== null && !usernames.has(event.userId)) usernames.set(event.userId, (await users.getUser(event.userId))?.username ?? null);
    if (event.clientId !== null && !clientNames.has(event.clientId)) {
      clientNames.set(event.clientId, (await clients.getClient(event.clientId))?.metadata.client_name ?? null);
    }
    views.push(auditView(event, event.userId === null ? null : (usernames.get(event.userId) ?? null), event.clientId === null ? null : (clientNames.get(event.clientId) ?? null)));
  }
  return { views, unknownUser };
}

function auditView(event: AuditEventRecord, username: string | null, clientName: string | null): AuditView {
  return {
    id: event.id,
    at: isoTime(event.at),
    type: event.type,
    user_id: event.userId,
    username,
    client_id: event.clientId,
    client_name: clientName,
    details: event.details,
  };
}

/**
 * Text safe to print on a terminal: a typed username (login.failed) may hold control characters or
 * bidirectional overrides, which are shown escaped instead of acting on the terminal.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One details value: a list joined by commas, `-` for null or an empty list, quoted when it holds spaces. */
function detailValue(value: unknown): string {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return '-';
  const text = Array.isArray(value) ? value.map(String).join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text;
}

/** key=value pairs; a time (a number under a name ending in _at) as printed in the TIME column. */
function compactDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${key.endsWith('_at') && typeof value === 'number' ? isoTime(value) : detailValue(value)}`)
    .join(' ');
}

function auditTable({ views, unknownUser }: Listing): string {
  if (views.length === 0) {
    const note =
      unknownUser === null
        ? ''
        : ` No current user is named ${unknownUser} or has that id; for a removed user, pass the user id shown in the USER column of its events.`;
    return `No audit events match.${note}`;
  }
  return table(
    ['TIME', 'TYPE', 'USER', 'CLIENT', 'DETAILS'],
    views.map((view) =>
      [view.at, view.type, view.username ?? view.user_id ?? '-', view.client_id ?? '-', compactDetails(view.details)].map(printable),
    ),
  );
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('show the audit log: the newest events (sign-ins, consents, tokens, admin changes), oldest first')
    .option('--since <when>', `only events at or after this time: ${SINCE_HELP}`)
    .option('--user <user>', 'only events of this user: username or user id (an id of a removed user works too)')
    .option('--client <client_id>', 'only events of this client (a removed client id works too)')
    .option('--limit <n>', `at most this many events, the newest (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`)
    .option('--json', 'print one JSON document')
    .action(async (options: AuditOptions, command: Command) => {
      // Flags are checked before the data dir is opened: a usage mistake is exit code 2 whatever the data dir.
      parseLimit(options.limit);
      if (options.since !== undefined) parseSince(options.since, 0);
      for (const flag of ['user', 'client'] as const) {
        if (options[flag] !== undefined && options[flag].trim() === '') throw new CliError(`--${flag} needs a value.`);
      }
      const listing = await withInstallation(command, (installation) => listEvents(installation, options));
      print({ json: options.json === true }, listing.views, () => auditTable(listing));
    });
}
