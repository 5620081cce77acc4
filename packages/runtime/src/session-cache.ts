// A cache of sessions by key (e.g. model path + options), so one model is loaded once per process even when
// several callers ask for it at the same time.
import type { Session } from './session.js';

/** Sessions by key; a key's session is created once, even under concurrent first requests. */
export class SessionCache {
  readonly #entries = new Map<string, Promise<Session>>();

  /** The session for `key`, created by `create` on first use; concurrent callers share one creation. */
  get(key: string, create: () => Promise<Session>): Promise<Session> {
    let p = this.#entries.get(key);
    if (!p) {
      p = create();
      this.#entries.set(key, p);
      // A failed creation is not cached: the next get() tries again.
      p.catch(() => {
        if (this.#entries.get(key) === p) this.#entries.delete(key);
      });
    }
    return p;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Releases and forgets one session; false if there was none. */
  async release(key: string): Promise<boolean> {
    const p = this.#entries.get(key);
    if (!p) return false;
    this.#entries.delete(key);
    const s = await p.catch(() => undefined);
    await s?.release();
    return true;
  }

  /** Releases every cached session (waiting for ones still being created) and empties the cache. */
  async releaseAll(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    const sessions = await Promise.allSettled(all);
    await Promise.all(sessions.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
  }
}
