// Option parsers: a bad flag value is reported by commander as one sentence naming the flag.
import { InvalidArgumentError } from 'commander';
import { SIGNING_ALGS, type SigningAlg } from '../src/config/schema.ts';

export function parseAlg(value: string): SigningAlg {
  if (!(SIGNING_ALGS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${SIGNING_ALGS.join(', ')}.`);
  }
  return value as SigningAlg;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535.');
  return port;
}
