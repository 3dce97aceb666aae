/**
 * The asynchronous read-repair queue (cluster.md §7 step 6): bounded (1000 jobs), drained by a few workers
 * (4); a job offered to a full queue is dropped and counted. Repair failures are counted, not hinted (the `send`
 * function logs them).
 */
export type RepairResult = 'sent' | 'dropped' | 'failed';

export interface ReadRepairOptions<J> {
  readonly send: (job: J) => Promise<void>;
  readonly capacity?: number;
  readonly workers?: number;
  readonly onResult?: (result: RepairResult) => void;
}

export class ReadRepairQueue<J> {
  readonly #send: (job: J) => Promise<void>;
  readonly #capacity: number;
  readonly #workers: number;
  readonly #onResult: (result: RepairResult) => void;
  #jobs: J[] = [];
  #head = 0;
  #active = 0;
  #idle: Array<() => void> = [];

  constructor(opts: ReadRepairOptions<J>) {
    this.#send = opts.send;
    this.#capacity = opts.capacity ?? 1000;
    this.#workers = opts.workers ?? 4;
    this.#onResult = opts.onResult ?? (() => undefined);
  }

  /** Jobs waiting (not counting the ones being sent). */
  get length(): number {
    return this.#jobs.length - this.#head;
  }

  /** Queues a job; false (and a `dropped` result) when the queue is full. */
  offer(job: J): boolean {
    if (this.length >= this.#capacity) {
      this.#onResult('dropped');
      return false;
    }
    this.#jobs.push(job);
    if (this.#active < this.#workers) {
      this.#active++;
      void this.#work();
    }
    return true;
  }

  /**
   * Sends a job at once, outside the queue and its bound (`--read-repair sync`, where the read waits for it), and
   * reports the result like a queued job's.
   */
  async sendNow(job: J): Promise<RepairResult> {
    try {
      await this.#send(job);
      this.#onResult('sent');
      return 'sent';
    } catch {
      this.#onResult('failed');
      return 'failed';
    }
  }

  /** Resolves once the queue is empty and no job is being sent (for shutdown and tests). */
  drained(): Promise<void> {
    if (this.#active === 0 && this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #work(): Promise<void> {
    while (this.#head < this.#jobs.length) {
      const job = this.#jobs[this.#head]!;
      this.#jobs[this.#head] = undefined as never;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#jobs.length) {
        this.#jobs = this.#jobs.slice(this.#head);
        this.#head = 0;
      }
      try {
        await this.#send(job);
        this.#onResult('sent');
      } catch {
        this.#onResult('failed');
      }
    }
    this.#active--;
    if (this.#active === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const f of idle) f();
    }
  }
}
