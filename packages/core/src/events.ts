/**
 * @module events
 * A minimal typed event, named for when it fires (`onDidReceiveMessage`), as VS Code does.
 *
 * A listener belongs to whoever subscribed (a screen, the CLI's printer, a bot); the code that
 * fires is the engine in the middle of its work. So a listener that throws must not stop the
 * other listeners or the engine's own step: each call is isolated, and the error goes to the
 * emitter's `onListenerError` (by default it is rethrown on its own, outside the engine's stack,
 * so it is still seen rather than swallowed).
 */

export type Listener<T> = (value: T) => void;
export type Subscribe<T> = (listener: Listener<T>) => () => void;

export interface EmitterOptions {
  readonly onListenerError?: (error: unknown) => void;
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly options: EmitterOptions = {}) {}

  readonly event: Subscribe<T> = (listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        (this.options.onListenerError ?? rethrowLater)(error);
      }
    }
  }
}
