/** @module bus/nats/emitter A minimal typed event source for `Listenable<T>`. */
import type { Listenable } from '../bus.js';

export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  readonly event: Listenable<T> = (listener) => {
    // Wrapped, so listening twice with one function gives two independent registrations.
    const entry = (value: T): void => listener(value);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        // A gateway bug in one listener must not keep the others (or the bus's own bookkeeping) from running.
        this.onListenerError(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
