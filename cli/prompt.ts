// Questions are asked only on a terminal; elsewhere a missing answer is a clear error naming the flag.
import { CliError } from './errors.ts';

// Loaded on the first question only: `idp serve` and scripted commands never ask, and the prompt
// library (readline, styling) costs start-up time and memory.
const prompts = () => import('@inquirer/prompts');

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

export async function askText(question: { message: string; flag: string; default?: string; validate?: (value: string) => string | true }): Promise<string> {
  if (!isInteractive()) throw new CliError(`Missing ${question.flag}; it is required when not running on a terminal.`);
  return (await prompts()).input({ message: question.message, default: question.default, validate: question.validate });
}

export async function askChoice<T extends string>(question: { message: string; flag: string; choices: readonly T[]; default?: T }): Promise<T> {
  if (!isInteractive()) throw new CliError(`Missing ${question.flag}; it is required when not running on a terminal.`);
  return (await prompts()).select({ message: question.message, choices: question.choices.map((value) => ({ value })), default: question.default });
}

/**
 * A new password typed twice, masked. Off a terminal there is no one to type it, so the error names
 * `flag` (the non-interactive way to pass one, e.g. --password-stdin).
 */
export async function askNewPassword(question: { message: string; flag: string }): Promise<string> {
  if (!isInteractive()) throw new CliError(`Missing ${question.flag}; it is required when not running on a terminal.`);
  const { password } = await prompts();
  const first = await password({ message: question.message, mask: true });
  const second = await password({ message: 'Type it again', mask: true });
  if (first !== second) throw new CliError('The two passwords do not match; nothing was changed.');
  return first;
}

/**
 * Confirms a destructive step: asks on a terminal (default no), otherwise requires `flag` (--yes).
 * Answering no is reported as an error, so scripts see that nothing happened.
 */
export async function confirmOrFail(question: { message: string; flag: string; given: boolean }): Promise<void> {
  if (question.given) return;
  if (!isInteractive()) throw new CliError(`Pass ${question.flag} to confirm; it is required when not running on a terminal.`);
  if (!(await (await prompts()).confirm({ message: question.message, default: false }))) throw new CliError('Cancelled; nothing was changed.', 1);
}
