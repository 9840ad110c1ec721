// Loads the operator's adapter module (the `adapter` setting) at start. The compiled binary carries
// Bun's transpiler, so a .ts file on disk loads as it is. Anything wrong with the module stops the
// start with one sentence naming the file; nothing half-loaded is ever used.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { IdpError } from '../errors.ts';
import { ADAPTER_METHODS, type Adapter } from './types.ts';

export class AdapterLoadError extends IdpError {
  override readonly name = 'AdapterLoadError';
}

/** The adapter named by `path`, or an empty adapter (every default) when the setting is empty. */
export async function loadAdapter(path: string): Promise<Adapter> {
  if (path === '') return {};
  if (!existsSync(path)) throw new AdapterLoadError(`The adapter ${path} does not exist (setting adapter).`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new AdapterLoadError(`The adapter ${path} cannot be loaded: ${firstLine(error)}.`);
  }
  return checkShape(path, module.default ?? module.adapter);
}

function checkShape(path: string, exported: unknown): Adapter {
  if (exported === undefined) {
    throw new AdapterLoadError(`The adapter ${path} exports no adapter: write \`export default { ... }\` (or \`export const adapter = { ... }\`).`);
  }
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    throw new AdapterLoadError(`The adapter ${path} must export an object of methods, not ${describe(exported)}.`);
  }
  const known = new Set<string>(ADAPTER_METHODS);
  for (const [name, value] of Object.entries(exported)) {
    // An unknown name is most likely a misspelt hook that would otherwise be silently ignored.
    if (!known.has(name)) throw new AdapterLoadError(`The adapter ${path} has an unknown member ${name}; the hooks are: ${ADAPTER_METHODS.join(', ')}.`);
    if (typeof value !== 'function') throw new AdapterLoadError(`The adapter ${path}: ${name} must be a function, not ${describe(value)}.`);
  }
  return exported as Adapter;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/** The first useful line of a load error; for a syntax error, Bun's first build message and its place. */
function firstLine(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const first = error.errors[0] as { message?: unknown; position?: { line?: number; column?: number } | null };
    const where = first.position?.line ? ` at line ${first.position.line}, column ${first.position.column ?? 0}` : '';
    return `${String(first.message ?? error.message)}${where}`;
  }
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((line) => line.trim() !== '') ?? 'unknown error').trim().replace(/\.$/, '');
}
