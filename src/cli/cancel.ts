// How an osctl process ends. One process-wide cancellation signal: the first Ctrl-C aborts it
// (commands stop at once: every call listens to it; temporary files are removed); a second
// Ctrl-C exits at once. SIGTERM (`timeout`, a supervisor) and SIGHUP (the terminal went away) end
// a command the same way, with the shell's 128 + signal number.

const controller = new AbortController();

export const cancelSignal: AbortSignal = controller.signal;

export const EXIT_INTERRUPTED = 130;

/** How long a finished command may leave handles open before the process exits anyway. */
const LEAK_GRACE_MS = 500;

/** The signals that cancel a command, and the exit code each ends it with. */
const CANCELLING_SIGNALS: ReadonlyArray<[NodeJS.Signals, number]> = [
  ['SIGINT', EXIT_INTERRUPTED],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

let cancelledWith = EXIT_INTERRUPTED;

/** The exit code of the signal that cancelled the command (130, as Ctrl-C, when none did). */
export function cancelExitCode(): number {
  return cancelledWith;
}

export function installInterruptHandler(): void {
  for (const [signal, code] of CANCELLING_SIGNALS) {
    process.on(signal, () => {
      if (controller.signal.aborted) process.exit(code);
      cancelledWith = code;
      process.exitCode = code;
      controller.abort(new Error('interrupted'));
      // A command that is not listening (e.g. blocked in a prompt) must still end on the first signal.
      setTimeout(() => process.exit(code), 2000).unref();
    });
  }
}

/**
 * Called when the command has finished. The process should now end by itself: every client
 * closes what it opened, and the tests check that it does. This is defense in depth for what no
 * code of ours can close (a TCP connect to a black-holed address inside grpc-js lasts minutes):
 * a script must not wait for it. The timer is unref'd, so it never delays a clean exit, and it
 * lets stdout and stderr drain first. DEBUG=1 names the handles that were left open.
 */
export function exitWhenFinished(): void {
  setTimeout(() => {
    const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0 && !s.destroyed);
    if (process.env.DEBUG) process.stderr.write(`osctl: exiting with open handles: ${process.getActiveResourcesInfo().join(', ')}\n`);
    if (pending.length === 0) process.exit();
    let left = pending.length;
    for (const stream of pending) {
      const done = () => --left === 0 && process.exit();
      stream.once('drain', done).once('close', done).once('error', done);
    }
  }, LEAK_GRACE_MS).unref();
}
