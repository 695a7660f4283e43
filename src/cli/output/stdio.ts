// Standard output and standard error as sinks. Every byte osctl prints goes through process.stdout
// and process.stderr, so their write failures are handled here once, for every printer and for
// oclif's help alike, the way a Unix tool ends:
// - the reader went away (`osctl get rd -o yaml | head -c 10`: EPIPE): stop at once, print nothing,
//   exit 141 = 128 + SIGPIPE, the status a shell reports for talosctl (Go dies of SIGPIPE) and for
//   coreutils in the same pipeline, so `set -o pipefail` scripts see what they see with talosctl;
// - any other failure (`>/dev/full`: ENOSPC): one line `error: writing output: <reason>`, exit 1.
// Node reports both as an 'error' event on the stream; without a listener that is a crash with a
// stack trace. A write after the reader has gone is the first moment Node can know it; a command
// that may sit idle for long (a watch) also uses ./reader-watch.ts, so `get -w | head -1` ends as
// soon as head does, not at the next event as talosctl's does. bin/run.js installs the guard
// before anything is printed.
import {cancelSignal} from '../cancel.js';
import type {Sink} from './types.js';

/** 128 + SIGPIPE (13). */
export const EXIT_BROKEN_PIPE = 141;

const EXIT_FAILURE = 1;

/** The reader of our output is gone (a pipe: EPIPE; a socket: EPIPE or ECONNRESET). */
const READER_GONE = new Set(['EPIPE', 'ECONNRESET']);

let guarded = false;

/** Installs the failure handling described above; safe to call more than once. */
export function guardStandardStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (READER_GONE.has(err.code ?? '')) process.exit(EXIT_BROKEN_PIPE);
    writeErrorLine(`error: writing output: ${describeWriteError(err)}\n`);
    process.exit(EXIT_FAILURE);
  });
  // Nothing can be reported when stderr itself fails.
  process.stderr.on('error', (err: NodeJS.ErrnoException) => process.exit(READER_GONE.has(err.code ?? '') ? EXIT_BROKEN_PIPE : EXIT_FAILURE));
}

function writeErrorLine(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // stderr is gone too; the exit code still tells
  }
}

/**
 * The reason without Node's decoration: `ENOSPC: no space left on device, write` becomes
 * `no space left on device`, `ENOENT: no such file or directory, open 'a/b'` becomes `no such file or
 * directory` (callers name the path); socket errors (`write EIO`) keep their code.
 */
export function describeWriteError(err: NodeJS.ErrnoException): string {
  const fsStyle = /^[A-Z0-9_]+: (.*?)(?:, \w+(?: '[^']*'(?: -> '[^']*')?)?)?$/.exec(err.message);
  if (fsStyle) return fsStyle[1];
  return err.code ?? err.message;
}

export const stdoutSink: Sink = {
  write(text: string) {
    process.stdout.write(text);
  },
};

export const stderrSink: Sink = {
  write(text: string) {
    process.stderr.write(text);
  },
};

/** Bytes to a writer that may ask to wait (stdout's contract: write() returns false when the reader is behind). */
export interface ByteWriter {
  write(bytes: Uint8Array): boolean;
}

/**
 * stdout as bytes, with one shared wait for its drain: every node's stream of a streaming command
 * (logs, dmesg) waits on the same one, so gRPC's flow control slows the nodes to the reader's pace.
 */
export function stdoutWriter(): ByteWriter & {drained(): Promise<void>} {
  let waiting: Promise<void> | undefined;
  return {
    write: (bytes) => process.stdout.write(bytes),
    drained() {
      waiting ??= new Promise<void>((resolve) => {
        const done = () => {
          waiting = undefined;
          process.stdout.off('drain', done);
          cancelSignal.removeEventListener('abort', done);
          resolve();
        };
        process.stdout.on('drain', done);
        // After Ctrl-C nobody waits for the reader any more: the streams are being cancelled.
        cancelSignal.addEventListener('abort', done, {once: true});
      });
      return waiting;
    },
  };
}
