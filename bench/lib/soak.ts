// The soak: many short-lived client_credentials tokens against the real server, watching the
// database files and the server's RSS over time, to show whether the background purge keeps them
// bounded. `npm run bench -- --soak` (see bench/README.md).
import { Database } from 'bun:sqlite';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareIdpDataDir } from './fixtures.ts';
import { basicAuth, buildRequest, HttpConnection } from './http_client.ts';
import { cpuSeconds, freePort, machineBusySeconds, rssBytes, SERVER_CORE, sleep, start, stop, waitForHttp } from './procs.ts';

export interface SoakOptions {
  temp: string;
  /** How to run idp: [bun, cli/main.ts] or [dist/idp]. */
  idp: string[];
  targetName: string;
  tokens: number;
  ttl: number;
  maxMinutes: number;
  connections: number;
  logLevel: string;
  /** Further environment for idp (settings the benchmark needs). */
  env: Record<string, string>;
  root: string;
  log: (line: string) => void;
}

interface Sample {
  t: number;
  phase: 'issuing' | 'after';
  issued: number;
  /** Tokens per second since the previous sample. */
  rate: number;
  rssMb: number | null;
  dbMb: number;
  walMb: number;
  /** Pages of the main file that are free for reuse (deleted rows). */
  freeMb: number;
  accessTokens: number | null;
  grants: number | null;
  auditEvents: number | null;
  /** Server CPU (cores) over the interval. */
  serverCpu: number;
  /** Cores other processes used over the interval (not the server, not this load generator). */
  otherCpu: number;
}

const PURGE_INTERVAL_S = 60;
const SAMPLE_EVERY_MS = 5000;
const MB = 1024 * 1024;

export async function runSoak(o: SoakOptions): Promise<{ json: object; markdown: string }> {
  const dataDir = join(o.temp, 'soak');
  o.log(`soak: preparing ${dataDir} …`);
  const clients = await prepareIdpDataDir(o.idp, dataDir);
  const port = await freePort();
  const since = performance.now();
  const child = start({
    cmd: [...o.idp, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)],
    core: SERVER_CORE,
    cwd: o.root,
    env: { ...o.env, IDP_ACCESS_TOKEN_TTL: String(o.ttl), IDP_LOG_LEVEL: o.logLevel },
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, since, 30_000, child);
  const dbPath = join(dataDir, 'idp.db');
  const db = new Database(dbPath);
  db.run('PRAGMA query_only = 1');
  db.run('PRAGMA busy_timeout = 2000');
  const count = (sql: string): number | null => {
    try {
      return (db.query(sql).get() as { n: number | null } | null)?.n ?? 0;
    } catch {
      return null;
    }
  };
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

  const samples: Sample[] = [];
  const started = performance.now();
  let issued = 0;
  let errors = 0;
  let firstError: string | null = null;
  let lastIssued = 0;
  let lastAt = started;
  let lastServerCpu = cpuSeconds(child.pid);
  let lastMachine = machineBusySeconds();
  let lastOwn = process.cpuUsage();
  let phase: Sample['phase'] = 'issuing';
  const sample = () => {
    const now = performance.now();
    const pageSize = count('SELECT page_size AS n FROM pragma_page_size()') ?? 4096;
    const wall = (now - lastAt) / 1000;
    const serverCpuNow = cpuSeconds(child.pid);
    const machineNow = machineBusySeconds();
    const own = process.cpuUsage(lastOwn);
    const serverCpu = (serverCpuNow - lastServerCpu) / wall;
    const otherCpu = Math.max(0, (machineNow - lastMachine) / wall - serverCpu - (own.user + own.system) / 1e6 / wall);
    lastServerCpu = serverCpuNow;
    lastMachine = machineNow;
    lastOwn = process.cpuUsage();
    const s: Sample = {
      t: Math.round((now - started) / 100) / 10,
      phase,
      issued,
      rate: Math.round((issued - lastIssued) / ((now - lastAt) / 1000)),
      rssMb: rssBytes(child.pid) === null ? null : round(rssBytes(child.pid)! / MB),
      dbMb: round(size(dbPath) / MB),
      walMb: round(size(`${dbPath}-wal`) / MB),
      freeMb: round(((count('SELECT freelist_count AS n FROM pragma_freelist_count()') ?? 0) * pageSize) / MB),
      accessTokens: count('SELECT count(*) AS n FROM access_tokens'),
      grants: count('SELECT count(*) AS n FROM grants'),
      // Append-only with an autoincrement id: max − min + 1 is the row count without a full scan.
      auditEvents: count('SELECT max(id) - min(id) + 1 AS n FROM audit_events'),
      serverCpu: Math.round(serverCpu * 100) / 100,
      otherCpu: Math.round(otherCpu * 100) / 100,
    };
    lastIssued = issued;
    lastAt = now;
    samples.push(s);
    o.log(
      `  ${String(s.t).padStart(6)} s  ${s.phase.padEnd(7)} issued ${String(s.issued).padStart(8)}  ${String(s.rate).padStart(6)}/s  ` +
        `RSS ${s.rssMb} MB  db ${s.dbMb} MB + wal ${s.walMb} MB (free ${s.freeMb} MB)  access_tokens ${s.accessTokens}  grants ${s.grants}  audit_events ${s.auditEvents}  ` +
        `cpu ${s.serverCpu} (others ${s.otherCpu})`,
    );
  };

  lastServerCpu = cpuSeconds(child.pid);
  lastMachine = machineBusySeconds();
  lastOwn = process.cpuUsage();
  lastAt = performance.now();
  o.log(`soak: ${o.tokens} client_credentials tokens, access_token_ttl ${o.ttl} s, ${o.connections} connections, at most ${o.maxMinutes} min (${o.targetName}, pid ${child.pid})`);
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  const request = buildRequest('POST', `127.0.0.1:${port}`, '/token', {
    Authorization: basicAuth(clients.main.id, clients.main.secret),
    'Content-Type': 'application/x-www-form-urlencoded',
  }, 'grant_type=client_credentials&scope=api%3Aread');
  const deadline = started + o.maxMinutes * 60_000;
  let claimed = 0;
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      const connection = await HttpConnection.open('127.0.0.1', port);
      // Bounded by the token count, the deadline, and an error budget.
      while (claimed < o.tokens && performance.now() < deadline && errors < 10_000) {
        claimed++;
        try {
          const response = await connection.request(request);
          if (response.status === 200) issued++;
          else {
            errors++;
            firstError ??= `status ${response.status} ${response.body.toString('utf8').slice(0, 200)}`;
            claimed--;
          }
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
          claimed--;
        }
      }
      connection.close();
    }),
  );
  const issuingSeconds = (performance.now() - started) / 1000;
  phase = 'after';
  o.log(`soak: issued ${issued} tokens in ${issuingSeconds.toFixed(0)} s (${errors} errors); watching ${PURGE_INTERVAL_S + 10} s more for the purge …`);
  await sleep((PURGE_INTERVAL_S + 10) * 1000);
  clearInterval(timer);
  sample();

  let tableBytes: Record<string, number> | null = null;
  try {
    const rows = db.query('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8').all() as { name: string; bytes: number }[];
    tableBytes = Object.fromEntries(rows.map((r) => [r.name, r.bytes]));
  } catch {
    // dbstat is not compiled in
  }
  db.close();
  await stop(child);

  const during = samples.filter((s) => s.phase === 'issuing' && s.issued > 0);
  const peak = (f: (s: Sample) => number | null) => Math.max(...samples.map((s) => f(s) ?? 0));
  const last = samples[samples.length - 1]!;
  const half = during.find((s) => s.issued >= issued / 2);
  const end = during[during.length - 1];
  const growthPer100k =
    half && end && end.issued > half.issued ? round(((end.dbMb + end.walMb - half.dbMb - half.walMb) / (end.issued - half.issued)) * 100_000) : null;
  const summary = {
    target: o.targetName,
    tokensAsked: o.tokens,
    issued,
    errors,
    firstError,
    accessTokenTtl: o.ttl,
    connections: o.connections,
    issuingSeconds: Math.round(issuingSeconds),
    averageRate: Math.round(issued / issuingSeconds),
    meanOtherCpuWhileIssuing: round(during.reduce((n, x) => n + x.otherCpu, 0) / Math.max(1, during.length)),
    peakRssMb: peak((s) => s.rssMb),
    finalRssMb: last.rssMb,
    peakDbPlusWalMb: round(peak((s) => s.dbMb + s.walMb)),
    finalDbMb: last.dbMb,
    finalWalMb: last.walMb,
    finalFreeMb: last.freeMb,
    peakAccessTokenRows: peak((s) => s.accessTokens),
    finalAccessTokenRows: last.accessTokens,
    peakGrantRows: peak((s) => s.grants),
    finalGrantRows: last.grants,
    finalAuditRows: last.auditEvents,
    dbGrowthPer100kTokensInSecondHalfMb: growthPer100k,
    tableBytes,
  };
  return { json: { date: new Date().toISOString(), summary, samples }, markdown: soakMarkdown(summary, samples) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function soakMarkdown(summary: Record<string, unknown>, samples: Sample[]): string {
  const s = summary as Record<string, number | string | null | Record<string, number>>;
  const step = Math.max(1, Math.ceil(samples.length / 40));
  const shown = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  const rows = shown.map(
    (x) =>
      `| ${x.t} | ${x.phase} | ${x.issued} | ${x.rate} | ${x.rssMb ?? 'n/a'} | ${x.dbMb} | ${x.walMb} | ${x.freeMb} | ${x.accessTokens ?? 'n/a'} | ${x.grants ?? 'n/a'} | ${x.auditEvents ?? 'n/a'} | ${x.serverCpu} | ${x.otherCpu} |`,
  );
  const tables = s.tableBytes && typeof s.tableBytes === 'object'
    ? Object.entries(s.tableBytes as Record<string, number>).map(([name, bytes]) => `${name} ${(bytes / MB).toFixed(1)} MB`).join(', ')
    : 'n/a';
  return [
    `# idp soak — ${new Date().toISOString()}`,
    '',
    `${s.target}: ${s.issued} client_credentials tokens (asked ${s.tokensAsked}) with access_token_ttl ${s.accessTokenTtl} s over ${s.connections} connections ` +
      `in ${s.issuingSeconds} s (${s.averageRate}/s, ${s.errors} errors), then ${PURGE_INTERVAL_S + 10} s idle so one purge pass runs after the last token expired.`,
    '',
    `- RSS: peak ${s.peakRssMb} MB, at the end ${s.finalRssMb} MB.`,
    `- Database: peak idp.db + WAL ${s.peakDbPlusWalMb} MB; at the end idp.db ${s.finalDbMb} MB (of which ${s.finalFreeMb} MB free pages) + WAL ${s.finalWalMb} MB.`,
    `- access_tokens rows: peak ${s.peakAccessTokenRows}, at the end ${s.finalAccessTokenRows}; grants rows: peak ${s.peakGrantRows}, at the end ${s.finalGrantRows}.`,
    `- audit_events rows at the end: ${s.finalAuditRows}.`,
    `- Other processes on the machine used ${s.meanOtherCpuWhileIssuing} cores on average while tokens were issued (0 on a quiet machine).`,
    `- Growth of idp.db + WAL per 100,000 tokens in the second half of the issuing phase: ${s.dbGrowthPer100kTokensInSecondHalfMb ?? 'n/a'} MB.`,
    `- Largest tables and indexes at the end (dbstat): ${tables}.`,
    '',
    '| t (s) | phase | issued | tokens/s | RSS MB | idp.db MB | WAL MB | free MB | access_tokens | grants | audit_events | server CPU | other CPU |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}
