// Progress of a long cluster operation, for people watching a terminal: an ora spinner, or plain
// one-line-per-step messages where a spinner does not fit. Without a terminal on stderr (scripts,
// CI, logs) nothing is shown: a successful command prints nothing on stderr, as talosctl's.
import type {Sink} from '../output/types.js';

export interface Progress {
  /** Starts a step; the previous one is marked done. */
  step(text: string): void;
  /** Reports headway within the current step. */
  update(text: string): void;
  /** Ends the current step as done or failed. */
  finish(ok: boolean): void;
}

export function wantsSpinner(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdout.isTTY && process.stderr.isTTY) && !env.NO_COLOR && !env.CI && env.TERM !== 'dumb';
}

/** Progress on `err` (stderr) when stderr is a terminal; a spinner only when `wantsSpinner()`. */
export async function createProgress(err: Sink): Promise<Progress> {
  if (!process.stderr.isTTY) return plainProgress(() => undefined);
  if (!wantsSpinner()) return plainProgress((line) => err.write(`${line}\n`));
  // ora is loaded only here: it costs start-up time that non-interactive runs should not pay.
  const {default: ora} = await import('ora');
  // discardStdin would put the terminal in raw mode, and ora 9 stops passing Ctrl-C on once a
  // spinner is restarted (the next step), so Ctrl-C would no longer cancel the command.
  const spinner = ora({stream: process.stderr, discardStdin: false});
  let current = '';
  return {
    step(text) {
      if (spinner.isSpinning) spinner.succeed(current);
      current = text;
      spinner.start(text);
    },
    update(text) {
      spinner.text = `${current}: ${text}`;
    },
    finish(ok) {
      if (!spinner.isSpinning) return;
      if (ok) spinner.succeed(current);
      else spinner.fail(current);
    },
  };
}

export function plainProgress(writeLine: (line: string) => void): Progress {
  return {step: writeLine, update: writeLine, finish: () => undefined};
}
