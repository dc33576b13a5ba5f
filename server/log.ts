// Structured server log: one JSON object per line with the time, the level, a fixed event name and
// numeric or enum-like fields. Signalling and presence traffic carry peer ids, tokens, device names and
// room ids, and requests carry addresses; none of them may reach a log, so callers only ever pass counts,
// durations and values chosen by the code (error codes, listener kinds, reasons).

import type { LogLevel } from './config';

/** Field values: numbers, booleans, or short constants chosen by the code, never input. */
export type LogFields = Readonly<Record<string, number | boolean | string | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

type Level = Exclude<LogLevel, 'silent'>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
// Defence in depth: a string field longer than any code or reason the server uses is dropped, so a
// mistake that passes input to the log cannot write a token or a name out in full.
const MAX_STRING_FIELD = 40;

export function createLogger(
  level: LogLevel,
  sink: (level: Level, line: string) => void = writeToConsole,
  now: () => Date = () => new Date(),
): Logger {
  const at =
    (messageLevel: Level) =>
    (event: string, fields: LogFields = {}): void => {
      if (RANK[messageLevel] < RANK[level]) return;
      const record: Record<string, number | boolean | string> = {
        time: now().toISOString(),
        level: messageLevel,
        event,
      };
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined || key in record) continue;
        if (typeof value === 'string' && value.length > MAX_STRING_FIELD) continue;
        if (typeof value === 'number' && !Number.isFinite(value)) continue;
        record[key] = value;
      }
      sink(messageLevel, JSON.stringify(record));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function writeToConsole(level: Level, line: string): void {
  if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** Error kind only: messages can quote the offending input (JSON.parse does), which may be user content. */
export function errorKind(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.name;
  return typeof error;
}
