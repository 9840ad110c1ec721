// Builds the single executable. Templates, migrations and package.json are imported as text or JSON,
// so the binary carries them.
//   bun build.ts [--outfile PATH]                          dist/idp for this machine (npm run build)
//   bun build.ts --target linux-x64|linux-arm64|all [--outdir DIR]
//                                                          DIR/idp-linux-x64, DIR/idp-linux-arm64, DIR/SHA256SUMS
//   bun build.ts --target bun-linux-arm64 [--outfile PATH] any other Bun compile target, to one file
// A binary for another CPU embeds that platform's Bun runtime, which Bun downloads from the npm registry on
// first use. When it cannot, that target is skipped with a message and the others are still built.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

const PLATFORMS = { 'linux-x64': 'bun-linux-x64', 'linux-arm64': 'bun-linux-arm64' } as const satisfies Record<string, Bun.Build.CompileTarget>;
type Platform = keyof typeof PLATFORMS;

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    outfile: { type: 'string', default: 'dist/idp' },
    outdir: { type: 'string', default: 'dist' },
    target: { type: 'string' },
  },
});

/** Compiles cli/main.ts to `outfile`; null on success, else what went wrong. */
async function compile(outfile: string, target?: Bun.Build.CompileTarget): Promise<string | null> {
  try {
    const result = await Bun.build({
      entrypoints: ['./cli/main.ts'],
      compile: { outfile, ...(target ? { target } : {}) },
      minify: true,
      sourcemap: 'none',
    });
    return result.success ? null : result.logs.map(String).join('\n');
  } catch (error) {
    // A runtime Bun could not download arrives as an AggregateError: "Failed to download 'bun-linux-aarch64-v1.4.5': …".
    const causes = (error as Partial<AggregateError>).errors ?? [];
    return causes.length > 0 ? causes.map((cause: unknown) => String((cause as Error).message ?? cause)).join('; ') : (error as Error).message;
  }
}

/** `sha256sum` format, names relative to the file, so `cd DIR && sha256sum -c SHA256SUMS` checks them. */
async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const target = values.target;
if (target === undefined || target.startsWith('bun-')) {
  const failure = await compile(values.outfile, target as Bun.Build.CompileTarget | undefined);
  if (failure !== null) {
    console.error(failure);
    process.exit(1);
  }
  console.log(`built ${values.outfile}`);
} else {
  const isPlatform = (name: string): name is Platform => Object.hasOwn(PLATFORMS, name);
  if (target !== 'all' && !isPlatform(target)) {
    console.error(`--target must be linux-x64, linux-arm64, all, or a Bun target such as bun-linux-x64; got ${target}.`);
    process.exit(2);
  }
  const platforms: Platform[] = target === 'all' ? (Object.keys(PLATFORMS) as Platform[]) : [target];
  mkdirSync(values.outdir, { recursive: true });
  const built: string[] = [];
  const skipped: string[] = [];
  for (const platform of platforms) {
    const outfile = join(values.outdir, `idp-${platform}`);
    // A target that fails leaves no binary from an earlier build next to the new checksums.
    rmSync(outfile, { force: true });
    const failure = await compile(outfile, PLATFORMS[platform]);
    if (failure !== null) {
      const native = `linux-${process.arch}` === platform;
      console.error(
        `skipped ${outfile}: Bun could not build for ${platform}: ${failure}` +
          (native ? '' : ` (a binary for another CPU needs the Bun runtime for ${platform}, which Bun downloads from the npm registry; allow that, or build on a ${platform} machine)`),
      );
      skipped.push(platform);
      continue;
    }
    built.push(outfile);
    console.log(`built ${outfile}`);
  }
  if (built.length === 0) {
    console.error('nothing was built; SHA256SUMS is unchanged.');
    process.exit(1);
  }
  const sums = join(values.outdir, 'SHA256SUMS');
  const lines = await Promise.all(built.map(async (file) => `${await sha256(file)}  ${basename(file)}\n`));
  writeFileSync(sums, lines.join(''));
  console.log(`wrote ${sums} (${built.map((file) => basename(file)).join(', ')})`);
  if (skipped.length > 0) console.error(`not built: ${skipped.join(', ')} (see above); SHA256SUMS lists only what was built.`);
}
