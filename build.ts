// Builds the single executable: `bun build.ts [--outfile PATH] [--target bun-linux-x64]`.
// Templates, migrations and package.json are imported as text or JSON, so the binary carries them.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { outfile: { type: 'string', default: 'dist/idp' }, target: { type: 'string' } },
});

const result = await Bun.build({
  entrypoints: ['./cli/main.ts'],
  compile: { outfile: values.outfile, ...(values.target ? { target: values.target as Bun.Build.CompileTarget } : {}) },
  minify: true,
  sourcemap: 'none',
});

if (!result.success) {
  for (const message of result.logs) console.error(message);
  process.exit(1);
}
console.log(`built ${values.outfile}`);
