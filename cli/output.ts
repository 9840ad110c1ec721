import type { KeyView } from '../src/keys/lifecycle.ts';

// Admin commands print exactly one JSON document with --json, otherwise text for people.
export interface Output {
  json: boolean;
}

export function print(output: Output, data: unknown, human: () => string): void {
  process.stdout.write(output.json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n');
}

/** A plain text table with a header row and columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function isoTime(epochSeconds: number | null): string {
  return epochSeconds === null ? '-' : new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** A key as admin commands print it with --json: wire-style names, RFC 3339 times. */
export function keyJson(key: KeyView) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    published_at: isoTime(key.createdAt),
    activates_at: isoTime(key.activatesAt),
    superseded_at: key.supersededAt === null ? null : isoTime(key.supersededAt),
    retired_at: key.retiredAt === null ? null : isoTime(key.retiredAt),
  };
}
