// One process-wide cancellation signal: the first Ctrl-C aborts it (commands stop cleanly,
// temporary files are removed); a second Ctrl-C exits at once.

const controller = new AbortController();

export const cancelSignal: AbortSignal = controller.signal;

export const EXIT_INTERRUPTED = 130;

export function installInterruptHandler(): void {
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(new Error('interrupted'));
    // A command that is not listening (e.g. blocked in a prompt) must still end on the first press.
    setTimeout(() => process.exit(EXIT_INTERRUPTED), 2000).unref();
  });
}
