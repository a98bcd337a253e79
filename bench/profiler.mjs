// V8's sampling profiler in another Node process, driven over the inspector protocol (the process
// runs with --inspect=127.0.0.1:PORT), so a benchmark can profile exactly its measured phase.
import WebSocket from 'ws';

const SAMPLING_INTERVAL_US = 250;

export class Profiler {
  constructor(port) {
    this.port = port;
    this.nextId = 1;
    this.pending = new Map();
  }

  async connect() {
    const [target] = await (await fetch(`http://127.0.0.1:${this.port}/json/list`)).json();
    this.ws = new WebSocket(target.webSocketDebuggerUrl);
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      const settle = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!settle) return;
      if (message.error) settle.reject(new Error(message.error.message));
      else settle.resolve(message.result);
    });
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  }

  call(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  start() {
    return this.call('Profiler.start');
  }

  /** Stops sampling; resolves with the profile (the .cpuprofile format). */
  async stop() {
    return (await this.call('Profiler.stop')).profile;
  }

  close() {
    this.ws?.close();
  }
}
