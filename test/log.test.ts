// The two log formats: pretty (time, level, message, key=value) and json (one object per line).
import { describe, expect, it } from 'bun:test';
import { createLogger, loggerFor } from '../src/log.ts';

describe('log formats', () => {
  it('pretty writes time, level, message and key=value fields, quoting values with spaces', () => {
    const lines: string[] = [];
    createLogger('info', (line) => lines.push(line)).info('request', { method: 'GET', reason: 'a b', skipped: undefined, n: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  request method=GET reason="a b" n=3\n$/);
  });

  it('json writes one JSON object per line: time, level, msg, then the fields at the top level', () => {
    const lines: string[] = [];
    const log = loggerFor({ log_level: 'debug', log_format: 'json' }, (line) => lines.push(line));
    log.debug('request', { request_id: 'abc', status: 200, ok: true, none: null, skipped: undefined });
    log.error('two\nlines', { reason: 'quote " and newline \n' });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
    }
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['time', 'level', 'msg', 'request_id', 'status', 'ok', 'none']);
    expect(first).toMatchObject({ level: 'debug', msg: 'request', request_id: 'abc', status: 200, ok: true, none: null });
    expect(new Date(first.time as string).toISOString()).toBe(first.time as string);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: 'error', msg: 'two\nlines', reason: 'quote " and newline \n' });
  });

  it('json never lets a field overwrite time, level or msg', () => {
    const lines: string[] = [];
    createLogger('info', (line) => lines.push(line), 'json').warn('real', { msg: 'fake', level: 'debug', time: 'then' });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'real', level: 'warn', 'field.msg': 'fake', 'field.level': 'debug', 'field.time': 'then' });
  });

  it('drops lines below the level in both formats', () => {
    for (const format of ['pretty', 'json'] as const) {
      const lines: string[] = [];
      const log = createLogger('warn', (line) => lines.push(line), format);
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      expect(lines).toHaveLength(2);
    }
  });
});
