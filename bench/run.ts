// The idp benchmark: `npm run bench` (about 5 minutes), `npm run bench -- --quick` (about 1 minute),
// `npm run bench -- --soak` (1,000,000 short-lived tokens against the real server). See bench/README.md.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Subprocess } from 'bun';
import {
  benchSettingsEnv,
  type ClientSet,
  CookieJar,
  copyDataDir,
  IDP_PATHS,
  OIDC_PROVIDER_PATHS,
  oidcProviderConfig,
  prepareIdpDataDir,
  type ProviderPaths,
  SEED_SCOPE,
  signedInTokens,
  tokenRequest,
  browserAuthorize,
  FLOW_SCOPE,
} from './lib/fixtures.ts';
import { percentile, runLoad, type LoadResult } from './lib/load.ts';
import {
  allowedCpus,
  freePort,
  machineBusySeconds,
  LOAD_CORE,
  onExit,
  pinSelf,
  rssBytes,
  run,
  SERVER_CORE,
  sleep,
  start,
  stop,
  stopAll,
  waitForHttp,
} from './lib/procs.ts';
import {
  checksTable,
  ceilingTable,
  fmtRate,
  fmtRatio,
  markdown,
  mb,
  median,
  type MemoryFigures,
  resourceTable,
  type Results,
  scenarioTable,
  type ScenarioFigures,
  type SignCeiling,
  type StartupFigures,
  TARGET_LABELS,
  type TargetCheck,
  type TargetFigures,
} from './lib/report.ts';
import { type Alg, type Endpoint, SCENARIOS, type State, type Target, type TargetKey } from './lib/scenarios.ts';
import { runSoak } from './lib/soak.ts';

const ROOT = resolve(import.meta.dir, '..');
const BUN = process.execPath;

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    connections: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
    'server-logs': { type: 'boolean', default: false },
    'soak-tokens': { type: 'string', default: '1000000' },
    'soak-ttl': { type: 'string', default: '2' },
    'soak-minutes': { type: 'string', default: '20' },
    'soak-target': { type: 'string', default: 'src' },
    'wait-quiet': { type: 'string', default: '0' },
    profile: { type: 'string' },
    'profile-seconds': { type: 'string', default: '10' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`usage: npm run bench [-- options]
  --quick              about 1 minute: fewer and shorter rounds, 5 start-ups instead of 10
  --soak               the soak test instead: many short-lived client_credentials tokens, DB size and RSS over time
  --connections N      concurrent keep-alive connections (default 32)
  --duration MS        length of one measured round per target (default 1000, quick 500)
  --rounds N           rounds per scenario (default 5, quick 2)
  --only a,b           only these scenarios (${SCENARIOS.map((s) => s.id).join(', ')})
  --rebuild            rebuild dist/idp first
  --log-level L        idp log_level during the run (default info, the server's default)
  --server-logs        keep the servers' stderr in the temp dir (implies --keep)
  --keep               keep the temp dir (data dirs, configs)
  --profile SCENARIO   instead of the benchmark: run one scenario against idp (source) under bun --cpu-prof
                       and write bench/results/profiles/SCENARIO.{cpuprofile,md}
  --profile-seconds S  how long the profiled load runs (default 10)
  --wait-quiet S       before each scenario, wait up to S seconds for other processes to leave the CPUs alone
  --soak-tokens N      tokens to issue in the soak (default 1000000)
  --soak-ttl S         access_token_ttl during the soak (default 2)
  --soak-minutes M     time bound of the soak's issuing phase (default 20)
  --soak-target T      src or bin (default src)`);
  process.exit(0);
}

const quick = args.quick;
const plan = {
  mode: quick ? 'quick' : 'full',
  connections: Number(args.connections ?? 32),
  durationMs: Number(args.duration ?? (quick ? 500 : 1000)),
  rounds: Number(args.rounds ?? (quick ? 2 : 5)),
  warmupMs: quick ? 300 : 700,
  startupRuns: quick ? 5 : 10,
  ceilingBurstMs: quick ? 200 : 400,
  ceilingRepeats: quick ? 3 : 5,
};
const onlyScenarios = args.only ? new Set(args.only.split(',')) : null;
for (const id of onlyScenarios ?? []) {
  if (!SCENARIOS.some((s) => s.id === id)) {
    console.error(`bench: unknown scenario ${id}; one of ${SCENARIOS.map((s) => s.id).join(', ')}`);
    process.exit(2);
  }
}
const keepTemp = args.keep || args['server-logs'];
const log = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (cpus().length < 2) log('warning: fewer than 2 cores; the load generator and the servers will share a core');
  else if (!pinSelf(LOAD_CORE)) log('warning: could not pin the load generator with taskset');
  log(`load generator pid ${process.pid} on CPUs ${allowedCpus()}; servers go on CPU ${SERVER_CORE}`);

  const temp = mkdtempSync(join(tmpdir(), 'idp-bench-'));
  if (!keepTemp) onExit(() => rmSync(temp, { recursive: true, force: true }));
  try {
    extraIdpEnv = await benchSettingsEnv(ROOT);
    if (Object.keys(extraIdpEnv).length) log(`idp settings for the run: ${Object.entries(extraIdpEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const binary = await ensureBinary(temp);
    if (args.soak) {
      const results = await runSoak({
        temp,
        idp: args['soak-target'] === 'bin' ? [binary.path] : [BUN, join(ROOT, 'cli/main.ts')],
        targetName: args['soak-target'] === 'bin' ? 'idp (binary)' : 'idp (source)',
        tokens: Number(args['soak-tokens']),
        ttl: Number(args['soak-ttl']),
        maxMinutes: Number(args['soak-minutes']),
        connections: Number(args.connections ?? 32),
        logLevel: args['log-level']!,
        env: extraIdpEnv,
        root: ROOT,
        log,
      });
      writeResults('soak', results.json, results.markdown);
      log(`\n${results.markdown}`);
      return;
    }
    if (args.profile) {
      await profileScenario(temp, args.profile, Number(args['profile-seconds']));
      return;
    }
    await benchmark(temp, binary);
  } finally {
    await stopAll();
    if (keepTemp) log(`kept ${temp}`);
    else rmSync(temp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/** dist/idp, built if missing; when it is older than the sources, a fresh build in the temp dir is measured instead. */
async function ensureBinary(temp: string): Promise<{ path: string; note: string }> {
  const dist = join(ROOT, 'dist/idp');
  if (!existsSync(dist) || args.rebuild) {
    log(`building ${dist} …`);
    await run([BUN, join(ROOT, 'build.ts')], { cwd: ROOT });
    return { path: dist, note: 'dist/idp (built by this run)' };
  }
  const built = statSync(dist).mtimeMs;
  const newest = Math.max(...['src', 'cli', 'templates'].map((d) => newestMtime(join(ROOT, d))), statSync(join(ROOT, 'build.ts')).mtimeMs);
  if (newest > built) {
    const fresh = join(temp, 'idp');
    log(`dist/idp is older than the sources; measuring a fresh build in ${fresh} (dist/idp is left alone)`);
    await run([BUN, join(ROOT, 'build.ts'), '--outfile', fresh], { cwd: ROOT });
    return { path: fresh, note: 'a fresh build of the current tree (dist/idp was older than the sources)' };
  }
  return { path: dist, note: 'dist/idp (up to date with the sources)' };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    try {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    } catch {
      // removed meanwhile (someone is editing the tree)
    }
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------

interface Running {
  child: Subprocess;
  port: number;
}

/** Per-request log lines at the default level would fill the disk: /dev/null unless --server-logs. */
function serverStderr(temp: string, name: string): 'ignore' | { file: string } {
  return args['server-logs'] ? { file: join(temp, `${name}.log`) } : 'ignore';
}

async function startIdp(temp: string, idp: string[], dataDir: string, signingAlg: 'ES256' | 'RS256', name: string): Promise<Running> {
  const port = await freePort();
  const since = performance.now();
  const cmd = [...idp, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--issuer', `http://127.0.0.1:${port}`];
  const child = start({ cmd, core: SERVER_CORE, cwd: ROOT, env: idpEnv(signingAlg), stderr: serverStderr(temp, name) });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, since, 30_000, child);
  return { child, port };
}

let extraIdpEnv: Record<string, string> = {};

function idpEnv(signingAlg: 'ES256' | 'RS256'): Record<string, string> {
  return { ...extraIdpEnv, IDP_SIGNING_ALG: signingAlg, IDP_LOG_LEVEL: args['log-level']! };
}

async function startOidcProvider(temp: string, port: number, configFile: string): Promise<Running> {
  const since = performance.now();
  const child = start({
    cmd: ['node', join(ROOT, 'bench/oidc_provider_server.mjs'), configFile],
    core: SERVER_CORE,
    cwd: ROOT,
    env: { NODE_ENV: 'production' },
    stderr: serverStderr(temp, 'oidc-provider'),
  });
  await waitForHttp(`http://127.0.0.1:${port}/.well-known/openid-configuration`, since, 30_000, child);
  return { child, port };
}

async function startBare(bodyFile: string): Promise<Running> {
  const port = await freePort();
  const since = performance.now();
  const child = start({ cmd: [BUN, join(ROOT, 'bench/bare_server.ts'), String(port), bodyFile], core: SERVER_CORE, cwd: ROOT });
  await waitForHttp(`http://127.0.0.1:${port}/`, since, 30_000, child);
  return { child, port };
}

/** Median of `runs` cold starts to the first answered request, the three servers taking turns. */
async function measureStartups(
  runs: number,
  starters: Partial<Record<TargetKey, () => Promise<{ ms: number; child: Subprocess }>>>,
): Promise<Partial<Record<TargetKey, StartupFigures>>> {
  const samples: Partial<Record<TargetKey, number[]>> = {};
  for (let i = 0; i < runs; i++) {
    for (const [key, startOne] of Object.entries(starters) as [TargetKey, () => Promise<{ ms: number; child: Subprocess }>][]) {
      const { ms, child } = await startOne();
      await stop(child);
      (samples[key] ??= []).push(ms);
    }
  }
  const figures: Partial<Record<TargetKey, StartupFigures>> = {};
  for (const [key, list] of Object.entries(samples) as [TargetKey, number[]][]) {
    figures[key] = { median: median(list), min: Math.min(...list), max: Math.max(...list), samples: list.map((v) => Math.round(v * 10) / 10) };
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------

async function benchmark(temp: string, binary: { path: string; note: string }): Promise<void> {
  const started = Date.now();
  const quietBefore = await foreignLoad(1000);
  if (quietBefore > 0.15) log(`warning: other processes are using ${quietBefore.toFixed(2)} cores right now; figures will be noisy (see --wait-quiet)`);
  const src = [BUN, join(ROOT, 'cli/main.ts')];
  const bin = [binary.path];

  // 1. Data: one data dir made with the real CLI, copied for every server (one server per data dir).
  log('setting up: idp data dir (init, user, scope, three clients) …');
  const template = join(temp, 'template');
  const idpClients = await prepareIdpDataDir(src, template);
  const dirs = Object.fromEntries(['src-es', 'src-rs', 'bin-es', 'bin-rs', 'start-src', 'start-bin'].map((n) => [n, join(temp, n)]));
  for (const dir of Object.values(dirs)) copyDataDir(template, dir);

  const oidcPort = await freePort();
  const oidc = await oidcProviderConfig(oidcPort);
  const oidcConfigFile = join(temp, 'oidc-provider.json');
  writeFileSync(oidcConfigFile, JSON.stringify(oidc.config));
  const startupOidcPort = await freePort();
  const startupOidcConfig = join(temp, 'oidc-provider-startup.json');
  writeFileSync(startupOidcConfig, JSON.stringify({ ...oidc.config, port: startupOidcPort, issuer: `http://127.0.0.1:${startupOidcPort}` }));

  // 2. Start-up time, on an idle machine, before the long-running servers start.
  log(`measuring start-up: ${plan.startupRuns} starts each of idp (source), idp (binary), oidc-provider …`);
  const startupPorts = { src: await freePort(), bin: await freePort() };
  const startOnce = (cmd: string[], dataDir: string, port: number, path: string, env: Record<string, string>) => async () => {
    const since = performance.now();
    const child = start({ cmd: [...cmd, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)], core: SERVER_CORE, cwd: ROOT, env });
    const ms = await waitForHttp(`http://127.0.0.1:${port}${path}`, since, 30_000, child);
    return { ms, child };
  };
  const startup = await measureStartups(plan.startupRuns, {
    src: startOnce(src, dirs['start-src']!, startupPorts.src, IDP_PATHS.discovery, idpEnv('ES256')),
    bin: startOnce(bin, dirs['start-bin']!, startupPorts.bin, IDP_PATHS.discovery, idpEnv('ES256')),
    oidc: async () => {
      const since = performance.now();
      const child = start({ cmd: ['node', join(ROOT, 'bench/oidc_provider_server.mjs'), startupOidcConfig], core: SERVER_CORE, cwd: ROOT, env: { NODE_ENV: 'production' } });
      const ms = await waitForHttp(`http://127.0.0.1:${startupOidcPort}/.well-known/openid-configuration`, since, 30_000, child);
      return { ms, child };
    },
  });
  for (const [key, s] of Object.entries(startup)) log(`  ${TARGET_LABELS[key as TargetKey].padEnd(14)} median ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`);

  // 3. The servers under test, all on the server core.
  log('starting servers …');
  const servers = {
    srcEs: await startIdp(temp, src, dirs['src-es']!, 'ES256', 'idp-src-es256'),
    srcRs: await startIdp(temp, src, dirs['src-rs']!, 'RS256', 'idp-src-rs256'),
    binEs: await startIdp(temp, bin, dirs['bin-es']!, 'ES256', 'idp-bin-es256'),
    binRs: await startIdp(temp, bin, dirs['bin-rs']!, 'RS256', 'idp-bin-rs256'),
    oidc: await startOidcProvider(temp, oidcPort, oidcConfigFile),
    bare: null as Running | null,
  };
  const discoveryBody = join(temp, 'bare-body.json');
  writeFileSync(discoveryBody, await (await fetch(`http://127.0.0.1:${servers.srcEs.port}${IDP_PATHS.discovery}`)).text());
  servers.bare = await startBare(discoveryBody);
  for (const [name, s] of Object.entries(servers)) {
    if (s && allowedCpus(s.child.pid) !== SERVER_CORE) throw new Error(`${name} is not pinned to CPU ${SERVER_CORE}`);
  }

  await sleep(1000);
  const memory: Partial<Record<TargetKey, MemoryFigures>> = {
    src: { idle: rssBytes(servers.srcEs.child.pid), peakUnderLoad: null, afterLoad: null },
    bin: { idle: rssBytes(servers.binEs.child.pid), peakUnderLoad: null, afterLoad: null },
    oidc: { idle: rssBytes(servers.oidc.child.pid), peakUnderLoad: null, afterLoad: null },
    bare: { idle: rssBytes(servers.bare.child.pid), peakUnderLoad: null, afterLoad: null },
  };
  log(`idle RSS: ${(['src', 'bin', 'oidc', 'bare'] as TargetKey[]).map((k) => `${TARGET_LABELS[k]} ${mb(memory[k]!.idle)}`).join(', ')}`);

  // 4. Sign in once on each provider, then make refresh token chains and tokens to load with.
  log('signing in and preparing tokens on each provider …');
  const endpoint = (r: Running): Endpoint => ({ port: r.port, pid: r.child.pid });
  const targets: Target[] = [
    bareTarget(endpoint(servers.bare), idpClients, plan.connections),
    await providerTarget('src', endpoint(servers.srcEs), endpoint(servers.srcRs), IDP_PATHS, idpClients, {}),
    await providerTarget('bin', endpoint(servers.binEs), endpoint(servers.binRs), IDP_PATHS, idpClients, {}),
    await providerTarget('oidc', endpoint(servers.oidc), endpoint(servers.oidc), OIDC_PROVIDER_PATHS, oidc.clients, { prompt: 'consent' }),
  ];

  // 5. The signing ceiling, on the server core while the servers are idle: jose under Bun (idp's
  // runtime) and under Node.js (oidc-provider's).
  log('measuring the signing ceiling (jose on one core, in Bun and in Node.js) …');
  let signCeiling: SignCeiling | null = null;
  try {
    const ceiling = async (runtime: string) =>
      JSON.parse(
        await run(['taskset', '-c', SERVER_CORE, runtime, join(ROOT, 'bench/sign_ceiling.mjs'), String(plan.ceilingBurstMs), String(plan.ceilingRepeats)], { cwd: ROOT }),
      ) as Record<Alg, number>;
    signCeiling = { bun: await ceiling(BUN), node: await ceiling('node') };
    for (const [runtime, c] of Object.entries(signCeiling)) log(`  ${runtime.padEnd(4)} RS256 ${c.RS256}/s, ES256 ${c.ES256}/s, EdDSA ${c.EdDSA}/s`);
  } catch (error) {
    log(`  failed: ${(error as Error).message}`);
  }

  // 6. The load: per scenario, warm every target up, then rounds in which the targets take turns.
  const scenarios = SCENARIOS.filter((s) => !onlyScenarios || onlyScenarios.has(s.id));
  const estimate = scenarios.length * targets.length * (plan.warmupMs + plan.rounds * plan.durationMs) / 1000;
  log(`load: ${scenarios.length} scenarios × ${targets.length} targets, ${plan.rounds} rounds of ${plan.durationMs} ms, ${plan.connections} connections (about ${Math.round(estimate)} s)`);
  const peak = new Map<number, number>();
  const figures: ScenarioFigures[] = [];
  for (const scenario of scenarios) {
    await waitForQuiet(Number(args['wait-quiet']));
    const rounds: Partial<Record<TargetKey, LoadResult[]>> = {};
    const broken = new Set<TargetKey>();
    const states = (): State[] => Array.from({ length: plan.connections }, (_, index) => ({ index, n: 0 }));
    for (const target of targets) {
      const where = scenario.endpoint(target);
      const step = scenario.step(target);
      // One operation first, to report a broken target clearly instead of measuring errors.
      const smoke = await runLoad({ host: '127.0.0.1', port: where.port, connections: 1, durationMs: 1, states: states(), step, maxOpsPerConnection: 1 });
      if (smoke.errors > 0) {
        broken.add(target.key);
        log(`  ${scenario.id}: ${TARGET_LABELS[target.key]} fails: ${smoke.firstError}`);
        continue;
      }
      await runLoad({ host: '127.0.0.1', port: where.port, connections: plan.connections, durationMs: plan.warmupMs, states: states(), step });
    }
    for (let round = 0; round < plan.rounds; round++) {
      // Rotate the order so that no target always runs first (or right after the heaviest one).
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!).filter((t) => !broken.has(t.key));
      for (const target of order) {
        const where = scenario.endpoint(target);
        const result = await runLoad({
          host: '127.0.0.1',
          port: where.port,
          connections: plan.connections,
          durationMs: plan.durationMs,
          states: states(),
          step: scenario.step(target),
          serverPid: where.pid,
        });
        (rounds[target.key] ??= []).push(result);
        if (result.peakRss !== null) peak.set(where.pid, Math.max(peak.get(where.pid) ?? 0, result.peakRss));
      }
    }
    const summary = summarise(scenario, rounds, signCeiling);
    figures.push(summary);
    log(
      `  ${scenario.id.padEnd(15)} ` +
        (['bare', 'src', 'bin', 'oidc'] as TargetKey[])
          .map((k) => {
            const f = summary.targets[k];
            if (!f) return `${k} FAILED`;
            const ratio = k === 'bare' ? '' : k === 'oidc' ? ` (${fmtRatio(f.rateVsBare)} bare)` : ` (${fmtRatio(f.rateVsBare)} bare, ${fmtRatio(f.rateVsOidc)} oidc)`;
            return `${k} ${fmtRate(f.rate)}/s${ratio}${f.errors ? ` [${f.errors} errors]` : ''}`;
          })
          .join(' | ') +
        ` | others used ${mean(Object.values(summary.targets).map((f) => f.foreignCpu)).toFixed(2)} cores`,
    );
  }

  // 7. Memory after load, then stop everything.
  await sleep(2000);
  memory.src!.afterLoad = rssBytes(servers.srcEs.child.pid);
  memory.bin!.afterLoad = rssBytes(servers.binEs.child.pid);
  memory.oidc!.afterLoad = rssBytes(servers.oidc.child.pid);
  memory.bare!.afterLoad = rssBytes(servers.bare.child.pid);
  const peakOf = (...pids: number[]) => Math.max(0, ...pids.map((pid) => peak.get(pid) ?? 0)) || null;
  memory.src!.peakUnderLoad = peakOf(servers.srcEs.child.pid, servers.srcRs.child.pid);
  memory.bin!.peakUnderLoad = peakOf(servers.binEs.child.pid, servers.binRs.child.pid);
  memory.oidc!.peakUnderLoad = peakOf(servers.oidc.child.pid);
  memory.bare!.peakUnderLoad = peakOf(servers.bare.child.pid);
  await stopAll();

  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      mode: plan.mode,
      connections: plan.connections,
      durationMs: plan.durationMs,
      rounds: plan.rounds,
      warmupMs: plan.warmupMs,
      startupRuns: plan.startupRuns,
      serverCore: SERVER_CORE,
      loadCore: LOAD_CORE,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1024 / 1024)} GiB`,
      bun: Bun.version,
      node: (await run(['node', '--version'])).trim(),
      oidcProvider: JSON.parse(readFileSync(join(ROOT, 'node_modules/oidc-provider/package.json'), 'utf8')).version,
      logLevel: args['log-level'],
      binary: binary.note,
      elapsedSeconds: 0,
      foreignCpu: mean(figures.flatMap((f) => Object.values(f.targets).map((t) => t.foreignCpu))),
      foreignCpuBefore: quietBefore,
      notes: [
        'oidc-provider keeps everything in memory (its own development MemoryAdapter over a map that keeps entries until they expire, instead of its default 1000-entry LRU, which evicts sessions and refresh tokens under load): it writes nothing to disk, while idp commits every token to SQLite (WAL).',
        'idp writes one request log line per request (log_level info, its default) to stderr, sent to /dev/null here; oidc-provider logs nothing per request.',
        'idp runs with token_rate_limit raised to 10^9 per minute (when the setting exists): its limiter still counts every token request, as with the default of 600, but never refuses one. oidc-provider has no such limiter.',
        'JWT access tokens signed RS256 come from a second idp instance started with IDP_SIGNING_ALG=RS256 (idp signs JWT access tokens with its signing_alg setting); oidc-provider selects the algorithm with a resource indicator.',
        'The measured authorization code flow asks for "openid profile email" on both providers (no refresh token): oidc-provider honours offline_access only with prompt=consent. Refresh token chains are made at set-up.',
        'Rates are medians of rounds; ratios are medians of same-round ratios, so a slower period of this shared virtual machine affects the compared targets alike. Absolute figures vary from run to run far more than the ratios.',
      ],
    },
    scenarios: figures,
    memory,
    startup,
    binaryBytes: statSync(binary.path).size,
    signCeiling,
    checks: [],
  };
  results.checks = evaluate(results);
  results.meta.elapsedSeconds = Math.round((Date.now() - started) / 1000);

  const text = markdown(results);
  writeResults('latest', results, text);
  log('');
  log(scenarioTable(results));
  log('');
  log(resourceTable(results));
  log('');
  log(ceilingTable(results));
  log('');
  log(checksTable(results));
  log(`\nwrote bench/results/latest.json and bench/results/latest.md (${results.meta.elapsedSeconds} s)`);
}

/** One scenario against idp (source) started under `bun --cpu-prof`; the profile goes to bench/results/profiles/. */
async function profileScenario(temp: string, id: string, seconds: number): Promise<void> {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`unknown scenario ${id}; one of ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const src = [BUN, join(ROOT, 'cli/main.ts')];
  const dataDir = join(temp, 'profile');
  const clients = await prepareIdpDataDir(src, dataDir);
  const profDir = join(temp, 'cpu-prof');
  mkdirSync(profDir);
  const signingAlg = id === 'cc-jwt-rs256' ? 'RS256' : 'ES256';
  const profiled = [BUN, '--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${profDir}`, join(ROOT, 'cli/main.ts')];
  const server = await startIdp(temp, profiled, dataDir, signingAlg, 'idp-profiled');
  const ep: Endpoint = { port: server.port, pid: server.child.pid };
  const target = await providerTarget('src', ep, ep, IDP_PATHS, clients, {});
  const states = (): State[] => Array.from({ length: plan.connections }, (_, index) => ({ index, n: 0 }));
  const step = scenario.step(target);
  await runLoad({ host: '127.0.0.1', port: ep.port, connections: plan.connections, durationMs: 1000, states: states(), step });
  log(`profiling ${scenario.title} on idp (source) for ${seconds} s …`);
  const result = await runLoad({ host: '127.0.0.1', port: ep.port, connections: plan.connections, durationMs: seconds * 1000, states: states(), step, serverPid: ep.pid });
  log(`  ${fmtRate(result.ops / result.seconds)} ${scenario.unit}, server CPU ${result.serverCpu.toFixed(2)}, other processes ${result.foreignCpu.toFixed(2)} cores, ${result.errors} errors`);
  await stop(server.child, 20_000);
  const out = join(ROOT, 'bench/results/profiles');
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(profDir)) {
    const ext = file.endsWith('.md') ? 'md' : file.endsWith('.cpuprofile') ? 'cpuprofile' : null;
    if (ext) writeFileSync(join(out, `${id}.${ext}`), readFileSync(join(profDir, file)));
  }
  const md = existsSync(join(out, `${id}.md`)) ? readFileSync(join(out, `${id}.md`), 'utf8') : '';
  const section = (title: string, rows: number) => {
    const at = md.indexOf(title);
    return at < 0 ? '' : md.slice(at).split('\n').slice(0, rows + 4).join('\n');
  };
  log(`\n${section('## Hot Functions', 20)}\n\n${section('## Call Tree', 45)}\n`);
  log(`wrote bench/results/profiles/${id}.cpuprofile (open in Chrome DevTools) and ${id}.md (includes the whole process life: start-up, sign-in and warm-up too)`);
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Cores the machine spends busy over `ms`, apart from this process (our servers are idle then). */
async function foreignLoad(ms: number): Promise<number> {
  const before = machineBusySeconds();
  const own = process.cpuUsage();
  const since = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(own);
  const wall = (performance.now() - since) / 1000;
  return Math.max(0, (machineBusySeconds() - before - (used.user + used.system) / 1e6) / wall);
}

/** Waits (bounded) until other processes use less than a quarter of a core. */
async function waitForQuiet(maxSeconds: number): Promise<void> {
  if (maxSeconds <= 0) return;
  const deadline = performance.now() + maxSeconds * 1000;
  let load = await foreignLoad(1000);
  if (load < 0.25) return;
  log(`  waiting up to ${maxSeconds} s for other processes (${load.toFixed(2)} cores) to finish …`);
  while (performance.now() < deadline) {
    load = await foreignLoad(1000);
    if (load < 0.25) return;
  }
  log(`  still ${load.toFixed(2)} cores busy elsewhere; measuring anyway`);
}

function bareTarget(main: Endpoint, clients: ClientSet, connections: number): Target {
  return {
    key: 'bare',
    name: TARGET_LABELS.bare,
    main,
    rs256: main,
    paths: IDP_PATHS,
    clients,
    cookie: 'idp_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; idp_browser=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    introspectToken: 'A'.repeat(43),
    userinfoToken: 'A'.repeat(43),
    refreshTokens: Array.from({ length: connections }, () => 'A'.repeat(43)),
  };
}

async function providerTarget(
  key: 'src' | 'bin' | 'oidc',
  main: Endpoint,
  rs256: Endpoint,
  paths: ProviderPaths,
  clients: ClientSet,
  seedExtra: Record<string, string>,
): Promise<Target> {
  const base = `http://127.0.0.1:${main.port}`;
  const jar = new CookieJar();
  const first = await signedInTokens(base, paths, jar, clients.main, { scope: SEED_SCOPE, ...seedExtra });
  // The RS256 client's consent (oidc-provider asks once per client; idp's clients skip consent).
  await browserAuthorize(base, paths, jar, clients.rs.id, { scope: FLOW_SCOPE, ...seedExtra });
  const refreshTokens: string[] = [];
  for (let i = 0; i < plan.connections; i++) {
    const tokens = await signedInTokens(base, paths, jar, clients.main, { scope: SEED_SCOPE, ...seedExtra });
    if (!tokens.refresh_token) throw new Error(`${TARGET_LABELS[key]} issued no refresh token for ${SEED_SCOPE}`);
    refreshTokens.push(tokens.refresh_token);
  }
  const cc = await tokenRequest(base, paths, clients.main, { grant_type: 'client_credentials', scope: 'api:read' });
  return {
    key,
    name: TARGET_LABELS[key],
    main,
    rs256,
    paths,
    clients,
    cookie: jar.header((name) => !name.startsWith('_interaction')),
    introspectToken: cc.access_token,
    userinfoToken: first.access_token,
    refreshTokens,
  };
}

function summarise(
  scenario: (typeof SCENARIOS)[number],
  rounds: Partial<Record<TargetKey, LoadResult[]>>,
  ceiling: SignCeiling | null,
): ScenarioFigures {
  const rateOf = (r: LoadResult) => r.ops / r.seconds;
  const base: Partial<Record<TargetKey, { rate: number; rates: number[]; p50: number; p99: number; list: LoadResult[] }>> = {};
  for (const [key, list] of Object.entries(rounds) as [TargetKey, LoadResult[]][]) {
    const all = new Float64Array(list.reduce((n, r) => n + r.latencies.length, 0));
    let at = 0;
    for (const r of list) {
      all.set(r.latencies, at);
      at += r.latencies.length;
    }
    all.sort();
    const rates = list.map(rateOf);
    base[key] = { rate: median(rates), rates, p50: percentile(all, 50), p99: percentile(all, 99), list };
  }
  const pairedRatio = (key: TargetKey, ref: TargetKey): number | null => {
    const mine = base[key];
    const theirs = base[ref];
    if (!mine || !theirs) return null;
    const n = Math.min(mine.rates.length, theirs.rates.length);
    const ratios: number[] = [];
    for (let i = 0; i < n; i++) if (theirs.rates[i]! > 0) ratios.push(mine.rates[i]! / theirs.rates[i]!);
    return ratios.length ? median(ratios) : null;
  };
  const targets: Partial<Record<TargetKey, TargetFigures>> = {};
  for (const [key, b] of Object.entries(base) as [TargetKey, NonNullable<(typeof base)[TargetKey]>][]) {
    const bare = base.bare;
    const oidc = base.oidc;
    const errors = b.list.reduce((n, r) => n + r.errors, 0);
    targets[key] = {
      rate: b.rate,
      rates: b.rates.map((r) => Math.round(r * 10) / 10),
      p50: b.p50,
      p99: b.p99,
      ops: b.list.reduce((n, r) => n + r.ops, 0),
      errors,
      firstError: b.list.find((r) => r.firstError)?.firstError ?? null,
      serverCpu: b.list.reduce((n, r) => n + r.serverCpu, 0) / b.list.length,
      clientCpu: b.list.reduce((n, r) => n + r.clientCpu, 0) / b.list.length,
      foreignCpu: b.list.reduce((n, r) => n + r.foreignCpu, 0) / b.list.length,
      rateVsBare: pairedRatio(key, 'bare'),
      rateVsOidc: pairedRatio(key, 'oidc'),
      p50VsBare: bare ? b.p50 / bare.p50 : null,
      p50VsOidc: oidc ? b.p50 / oidc.p50 : null,
      p99VsBare: bare ? b.p99 / bare.p99 : null,
      p99VsOidc: oidc ? b.p99 / oidc.p99 : null,
      ceilingShare:
        scenario.signature && ceiling && key !== 'bare'
          ? (b.rate * scenario.signature.perOp) / ceiling[key === 'oidc' ? 'node' : 'bun'][scenario.signature.alg]
          : null,
    };
  }
  return { id: scenario.id, title: scenario.title, unit: scenario.unit, signature: scenario.signature, targets };
}

function evaluate(results: Results): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const builds = ['src', 'bin'] as const;
  const scenario = (id: string) => results.scenarios.find((s) => s.id === id);
  const ratioCheck = (id: string, field: 'rateVsBare' | 'rateVsOidc', min: number, goal: string) => {
    const s = scenario(id);
    if (!s) return;
    const values: Record<string, string> = {};
    let met = true;
    let unknown = false;
    for (const build of builds) {
      const v = s.targets[build]?.[field];
      if (v === null || v === undefined) unknown = true;
      else if (v < min) met = false;
      values[TARGET_LABELS[build]] = fmtRatio(v);
    }
    checks.push({ target: id, goal, values, met: met && !unknown, unknown });
  };
  ratioCheck('discovery', 'rateVsBare', 0.8, 'discovery ≥ 0.8 × bare');
  ratioCheck('jwks', 'rateVsBare', 0.8, 'JWKS ≥ 0.8 × bare');
  ratioCheck('cc-opaque', 'rateVsBare', 0.3, 'opaque client_credentials ≥ 0.3 × bare');
  ratioCheck('cc-opaque', 'rateVsOidc', 10, 'opaque client_credentials ≥ 10 × oidc-provider');
  ratioCheck('authcode-es256', 'rateVsOidc', 5, 'signed-in auth code flow (ES256) ≥ 5 × oidc-provider');
  ratioCheck('refresh', 'rateVsOidc', 10, 'refresh rotation ≥ 10 × oidc-provider');
  const memCheck = (field: 'idle' | 'peakUnderLoad', limitMb: number, goal: string) => {
    const values: Record<string, string> = {};
    let met = true;
    let unknown = false;
    for (const build of builds) {
      const v = results.memory[build]?.[field];
      if (v === null || v === undefined) unknown = true;
      else if (v >= limitMb * 1024 * 1024) met = false;
      values[TARGET_LABELS[build]] = mb(v);
    }
    checks.push({ target: field, goal, values, met: met && !unknown, unknown });
  };
  memCheck('idle', 60, 'idle RSS < 60 MB');
  memCheck('peakUnderLoad', 150, 'RSS under load < 150 MB');
  const values: Record<string, string> = {};
  let met = true;
  for (const build of builds) {
    const s = results.startup[build];
    if (!s || s.median >= 150) met = false;
    values[TARGET_LABELS[build]] = s ? `${s.median.toFixed(0)} ms` : 'n/a';
  }
  checks.push({ target: 'startup', goal: 'start-up < 150 ms (median)', values, met });
  return checks;
}

function writeResults(name: string, json: unknown, text: string): void {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), text);
}

await main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
  await stopAll();
  process.exit(1);
});
