// "Know the ceiling": how many JWS signatures per second jose makes on one core, for each algorithm
// idp signs with. Plain JavaScript so that both runtimes run the same code: bench/run.ts runs it
// pinned to the server core under Bun (idp's ceiling) and under Node.js (oidc-provider's):
//   taskset -c 0 bun  bench/sign_ceiling.mjs [BURST_MS] [REPEATS]
//   taskset -c 0 node bench/sign_ceiling.mjs [BURST_MS] [REPEATS]
// Prints one JSON object: { RS256, ES256, EdDSA } signatures per second (median of the bursts).
// Bursts of the three algorithms alternate, so a slower or faster period of a shared machine
// affects all three alike. Eight signatures are kept in flight, like a server with concurrent requests.
import { generateKeyPair, SignJWT } from 'jose';

const burstMs = Number(process.argv[2] ?? 400);
const repeats = Number(process.argv[3] ?? 5);
const IN_FLIGHT = 8;
const ALGS = ['RS256', 'ES256', 'EdDSA'];

// The claims of a typical ID token (about the size idp signs).
const claims = {
  preferred_username: 'bench',
  updated_at: 1795698965,
  email: 'bench@example.com',
  email_verified: false,
  name: 'Bench User',
  auth_time: 1795698971,
  nonce: 'n-0S6_WzA2Mj',
  azp: 'IQ0bs6cZaPDds2GktjX25A',
  at_hash: 'K9EpdE4VVwjGycO413lWOA',
  sid: 'n3GsHn6l4Ll_QjeCkCX_TQ',
};

const keys = {};
for (const alg of ALGS) keys[alg] = (await generateKeyPair(alg)).privateKey;

function sign(alg) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid: 'SLXDycZV1FbBSehldRQGpUBNNhsc1cqCGC5-21WQb-0', typ: 'JWT' })
    .setIssuer('http://127.0.0.1:9000')
    .setSubject('BWb-cePX3QQlKTUGYsfz0Q')
    .setAudience('IQ0bs6cZaPDds2GktjX25A')
    .setIssuedAt(1795698971)
    .setExpirationTime(1795702571)
    .sign(keys[alg]);
}

async function burst(alg, ms) {
  let count = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      // Bounded: at most 10 million signatures per worker, far above any real rate.
      for (let i = 0; i < 10_000_000 && performance.now() < deadline; i++) {
        await sign(alg);
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

// Warm up (JIT, key import paths).
for (const alg of ALGS) await burst(alg, 100);
const rates = { RS256: [], ES256: [], EdDSA: [] };
for (let r = 0; r < repeats; r++) {
  for (const alg of ALGS) rates[alg].push(await burst(alg, burstMs));
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
console.log(JSON.stringify(Object.fromEntries(ALGS.map((alg) => [alg, Math.round(median(rates[alg]))]))));
