/**
 * Runs async tasks with at most `limit` in flight. `add` waits for a free
 * slot, so a producer walking 100k files never queues more than `limit`
 * tasks (memory stays bounded). The first failure is kept: later `add`s and
 * `drain` throw it, after the tasks already running have settled.
 *
 * @example
 * const pool = new TaskPool(32);
 * for (const f of files) await pool.add(() => copyFile(f, dest(f)));
 * await pool.drain();
 */
export class TaskPool {
  private running = 0;
  private wakers: (() => void)[] = [];
  private failure: { error: unknown } | null = null;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`TaskPool limit must be a positive integer, got ${limit}`);
  }

  /** Starts `task` as soon as fewer than `limit` run; resolves when it has started. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.running >= this.limit && !this.failure) await this.change();
    if (this.failure) throw this.failure.error;
    this.running++;
    task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.running--;
        this.wake();
      });
  }

  /** Resolves when every task has settled; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running > 0) await this.change();
    if (this.failure) throw this.failure.error;
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }
}
