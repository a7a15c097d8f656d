/**
 * The card's queue of tasks: the one on screen, the ones after it, and what
 * undo can reopen.
 *
 * Python sends the session's next tasks on every run; answers given since it
 * last ran are not in its view yet, so the tasks answered here are left out of
 * what it sends until it acknowledges them. The task on screen stays on screen
 * when a new list arrives: nothing moves under the annotator's hands.
 */

export interface QueueItem {
  task_id: string;
  [k: string]: unknown;
}

/** What the annotator did to a task: kept so that undo reopens it as it was answered. */
export interface Answered<T extends QueueItem> {
  item: T;
  answer: string;
  edits: Edits;
}

export interface Edits {
  regions: unknown[];
  transcript: string | null;
  spans: unknown[] | null;
}

export class TaskQueue<T extends QueueItem> {
  current: T | null = null;
  private upcoming: T[] = [];
  /** Tasks answered in this tab, not to be shown again unless undo reopens them. */
  private answeredIds = new Set<string>();
  private history: Answered<T>[] = [];
  /** The task undo reopened, with what it was answered with (answering it again replaces that). */
  reopened: Answered<T> | null = null;
  /** The session's last committed answer, from Python: what undo reopens when this tab has none. */
  private previous: Answered<T> | null = null;

  constructor(private readonly historyLimit = 50) {}

  /** Python's list of next tasks; returns whether the task on screen changed. */
  offer(items: T[]): boolean {
    const onScreen = this.current?.task_id ?? null;
    const fresh = items.filter((it) => !this.answeredIds.has(String(it.task_id)) && String(it.task_id) !== onScreen);
    this.upcoming = fresh;
    if (this.current === null && this.upcoming.length) {
      this.current = this.upcoming.shift() as T;
      return true;
    }
    return false;
  }

  /** The last answer Python holds for this session (null: none). */
  offerPrevious(item: T | null, answer: string | null, edits: Edits | null): void {
    this.previous = item && answer ? { item, answer, edits: edits ?? { regions: [], transcript: null, spans: null } } : null;
  }

  get next(): T[] {
    return [...this.upcoming];
  }

  get answeredCount(): number {
    return this.answeredIds.size;
  }

  /** Record the answer to the task on screen and move to the next one (null: none left). */
  answer(answer: string, edits: Edits): T | null {
    const item = this.current;
    if (!item) return null;
    const id = String(item.task_id);
    this.answeredIds.add(id);
    this.history.push({ item, answer, edits });
    if (this.history.length > this.historyLimit) this.history.shift();
    this.reopened = null;
    this.current = this.upcoming.shift() ?? null;
    return this.current;
  }

  /** Whether undo has something to reopen. */
  canUndo(): boolean {
    return this.history.length > 0 || (this.previous !== null && !this.answeredIds.has(String(this.previous.item.task_id)));
  }

  /**
   * Reopen the last answered task with its edits; the task that was on screen
   * goes back to the front of the queue. Returns what was reopened, or null.
   */
  undo(): Answered<T> | null {
    let last = this.history.pop() ?? null;
    if (!last && this.previous && !this.answeredIds.has(String(this.previous.item.task_id))) {
      last = this.previous;
      this.previous = null;
    }
    if (!last) return null;
    // the task on screen goes back to the front, unless it was itself reopened
    // (undo twice): then it keeps the answer it has and leaves the screen
    if (this.current && this.reopened === null) this.upcoming.unshift(this.current);
    this.current = last.item;
    this.reopened = last;
    return last;
  }
}
