// One line per event on stderr: time, level, message, then key=value fields. Never pass secrets here.
import type { LogLevel } from './config/schema.ts';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const emit = (at: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    let line = `${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${message}`;
    for (const [key, value] of Object.entries(fields ?? {})) {
      if (value === undefined) continue;
      const text = String(value);
      line += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    }
    write(line + '\n');
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** A logger that drops everything, for tests and CLI commands that print their own output. */
export const silentLogger: Logger = createLogger('error', () => {});
