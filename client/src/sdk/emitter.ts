/**
 * A small typed event emitter. `Events` maps each event name to the tuple of
 * its arguments. A listener that throws does not stop the others, and never
 * reaches the code that emitted: the error is reported to `onListenerError`
 * (console.error by default).
 */
// biome-ignore lint/suspicious/noExplicitAny: listener argument tuples are checked per event through Events.
type Listener<Args extends any[]> = (...args: Args) => void;

/** Typed `on`/`off`/`once` over a map of event names to argument tuples. */
// biome-ignore lint/suspicious/noExplicitAny: see Listener.
export class TypedEmitter<Events extends Record<string, any[]>> {
  // biome-ignore lint/suspicious/noExplicitAny: the map holds listeners of every event.
  private readonly listeners = new Map<keyof Events, Set<Listener<any[]>>>();

  /** Where errors thrown by listeners go. */
  onListenerError: (error: unknown, event: string) => void = (error, event) => {
    console.error(`switchboard: a listener of "${event}" threw`, error);
  };

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs once. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const remove = this.on(event, ((...args: Events[E]) => {
      remove();
      listener(...args);
    }) as Listener<Events[E]>);
    return remove;
  }

  /** Removes a listener added with `on`. */
  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.listeners.clear();
  }

  /** Calls each listener of `event`, isolating their errors. */
  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, String(event));
      }
    }
  }
}
