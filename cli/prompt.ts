// Questions are asked only on a terminal; elsewhere a missing answer is a clear error naming the flag.
import { input, select } from '@inquirer/prompts';
import { CliError } from './errors.ts';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

export async function askText(question: { message: string; flag: string; default?: string; validate?: (value: string) => string | true }): Promise<string> {
  if (!isInteractive()) throw new CliError(`Missing ${question.flag}; it is required when not running on a terminal.`);
  return input({ message: question.message, default: question.default, validate: question.validate });
}

export async function askChoice<T extends string>(question: { message: string; flag: string; choices: readonly T[]; default?: T }): Promise<T> {
  if (!isInteractive()) throw new CliError(`Missing ${question.flag}; it is required when not running on a terminal.`);
  return select({ message: question.message, choices: question.choices.map((value) => ({ value })), default: question.default });
}
