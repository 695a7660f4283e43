// osd's log: one line per event, to <state>/var/log/osd.log and (for a foreground agent) stderr.
import {createWriteStream, mkdirSync, type WriteStream} from 'node:fs';
import {dirname} from 'node:path';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Flushes and closes the log file. */
  close(): Promise<void>;
}

export function createLogger(options: {file?: string; stderr: boolean}): Logger {
  let file: WriteStream | undefined;
  if (options.file !== undefined) {
    mkdirSync(dirname(options.file), {recursive: true});
    file = createWriteStream(options.file, {flags: 'a'});
  }
  const write = (level: string, message: string): void => {
    const line = formatLogLine(level, message);
    file?.write(line);
    if (options.stderr) process.stderr.write(line);
  };
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
    close: () => new Promise((resolve) => (file === undefined ? resolve() : file.end(resolve))),
  };
}

export function formatLogLine(level: string, message: string): string {
  return `${new Date().toISOString()} ${level} ${message}\n`;
}

/** `log`, with every line also written to `copy` (the `controller-runtime` service log). */
export function teeLogger(log: Logger, copy: {write(line: string): void}): Logger {
  const both = (level: 'info' | 'warn' | 'error') => (message: string): void => {
    log[level](message);
    copy.write(formatLogLine(level, message));
  };
  return {info: both('info'), warn: both('warn'), error: both('error'), close: () => log.close()};
}
