// Reads on the libuv pool that may never return: statfs of a dead network mount, a process's
// cmdline while its memory map is locked (a task stuck in a page fault). Such a read holds one of
// the pool's threads (4 by default, shared with every file read of osd) until the kernel lets go.
// So each is waited for at most a deadline, and per key only one runs at a time: a key whose read
// missed its deadline answers 'late' at once until that read returns, so a stuck key ties up at
// most one thread however often it is asked for.

export const LATE = 'late';

export class BoundedWork<Key, Value> {
  private readonly inFlight = new Map<Key, {result: Promise<Value>; late: boolean}>();

  /** `work` must not reject. */
  async run(key: Key, work: () => Promise<Value>, deadlineMs: number): Promise<Value | typeof LATE> {
    let entry = this.inFlight.get(key);
    if (entry?.late) return LATE;
    if (entry === undefined) {
      const created = {result: work(), late: false};
      this.inFlight.set(key, created);
      void created.result.finally(() => this.inFlight.delete(key));
      entry = created;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), deadlineMs)));
    const outcome = await Promise.race([entry.result, late]).finally(() => clearTimeout(timer));
    if (outcome === LATE) entry.late = true;
    return outcome;
  }
}
