// One line per event on stderr: time, level, message and fields. `pretty` (the default) writes
// `TIME LEVEL message key=value…`; `json` writes one JSON object per line for log shippers. Never pass
// secrets here: no password, client secret, code or token, and no request body.
import type { Config, LogFormat, LogLevel } from './config/schema.ts';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys of a JSON line that a field may not overwrite; such a field is written as `field.<key>`. */
const JSON_RESERVED = new Set(['time', 'level', 'msg']);

function prettyLine(at: LogLevel, time: string, message: string, fields: LogFields): string {
  let line = `${time} ${at.toUpperCase().padEnd(5)} ${message}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    line += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return line;
}

function jsonLine(at: LogLevel, time: string, message: string, fields: LogFields): string {
  const entry: Record<string, string | number | boolean | null> = { time, level: at, msg: message };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    entry[JSON_RESERVED.has(key) ? `field.${key}` : key] = value;
  }
  return JSON.stringify(entry);
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
  format: LogFormat = 'pretty',
): Logger {
  const toLine = format === 'json' ? jsonLine : prettyLine;
  const emit = (at: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    write(toLine(at, new Date().toISOString(), message, fields ?? {}) + '\n');
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** The server's logger, as the settings log_level and log_format ask. */
export function loggerFor(config: Pick<Config, 'log_level' | 'log_format'>, write?: (line: string) => void): Logger {
  return createLogger(config.log_level, write, config.log_format);
}

/** A logger that drops everything, for tests and CLI commands that print their own output. */
export const silentLogger: Logger = createLogger('error', () => {});
