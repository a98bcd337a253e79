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

/**
 * The subscribe side of an `Emitter`: what the engine hands to callers (the CLI, the web app,
 * tests), so that only the engine, which owns the emitter, can fire. The spelling
 * `x.didY.event(listener)` is the same as on an `Emitter`.
 */
export interface Subscribable<T> {
  readonly event: Subscribe<T>;
}

/** Each `Emitter` of an events object, as its subscribe side only. */
export type SubscribeSides<E> = {
  readonly [K in keyof E]: E[K] extends Emitter<infer T> ? Subscribable<T> : never;
};

/** The subscribe side of one emitter: a fresh object, so a caller cannot reach `fire` by a cast. */
export function subscribeSide<T>(emitter: Emitter<T>): Subscribable<T> {
  return Object.freeze({ event: emitter.event });
}

/** The subscribe sides of every emitter an events object holds (its own fields). */
export function subscribeSides<E extends object>(emitters: E): SubscribeSides<E> {
  const sides: Record<string, Subscribable<unknown>> = {};
  for (const [name, value] of Object.entries(emitters)) {
    if (value instanceof Emitter) sides[name] = subscribeSide(value as Emitter<unknown>);
  }
  return Object.freeze(sides) as SubscribeSides<E>;
}
