/**
 * @module events
 * A minimal typed event, named for when it fires (`onDidReceiveMessage`), as VS Code does.
 */

export type Listener<T> = (value: T) => void;
export type Subscribe<T> = (listener: Listener<T>) => () => void;

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  readonly event: Subscribe<T> = (listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}
