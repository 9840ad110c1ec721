// The reference limit: a bare Bun.serve that answers every request with the same JSON body.
// `bun bench/bare_server.ts PORT [BODY_FILE]`; without a file the body is a small fixed document.
import { readFileSync } from 'node:fs';

const port = Number(process.argv[2] ?? 0);
const bodyFile = process.argv[3];
const body = bodyFile ? readFileSync(bodyFile, 'utf8') : JSON.stringify({ status: 'ok' });

Bun.serve({
  hostname: '127.0.0.1',
  port,
  reusePort: false,
  development: false,
  fetch() {
    return new Response(body, { headers: { 'Content-Type': 'application/json' } });
  },
});
