/**
 * A small typed event emitter that runs in browsers and Node alike (no node:events). A listener
 * that throws does not stop the others or the SDK's own bookkeeping: its error is rethrown on a
 * later tick, where the host reports it as uncaught.
 */
type Listener<A extends unknown[]> = (...args: A) => void;
/** Listeners of every event in one map: each is called only with its own event's arguments. */
type AnyListener = (...args: never[]) => void;

export class Emitter<M extends { [K in keyof M]: unknown[] }> {
  private readonly listeners = new Map<keyof M, Set<AnyListener>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => this.off(event, listener);
  }

  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.listeners.get(event)?.delete(listener as unknown as AnyListener);
  }

  /** The next emission of `event` that `match` accepts (default: any), as a promise. */
  next<K extends keyof M>(event: K, match: (...args: M[K]) => boolean = () => true): Promise<M[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (...args) => {
        if (!match(...args)) return;
        off();
        resolve(args);
      });
    });
  }

  protected emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<M[K]>)(...args);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
