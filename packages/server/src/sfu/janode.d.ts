/**
 * @module sfu/janode
 * The part of janode (JavaScript, no types of its own) that janus-sfu.ts uses.
 */
declare module 'janode' {
  import type { EventEmitter } from 'node:events';

  export interface JanodeHandle extends EventEmitter {
    detach(): Promise<void>;
    message(body: Record<string, unknown>): Promise<unknown>;
  }
  export interface JanodeSession extends EventEmitter {
    attach<H extends JanodeHandle>(plugin: { id: string; Handle: new (...args: never[]) => H }): Promise<H>;
    destroy(): Promise<void>;
  }
  export interface JanodeConnection extends EventEmitter {
    create(keepAliveSeconds?: number): Promise<JanodeSession>;
    close(): Promise<void>;
  }
  interface Janode {
    connect(config: { address: { url: string; apisecret?: string }[]; retry_time_secs?: number; max_retries?: number }): Promise<JanodeConnection>;
    Logger: { setLevel(level: 'debug' | 'verb' | 'info' | 'warn' | 'error' | 'none'): string };
    EVENT: { CONNECTION_CLOSED: string; SESSION_DESTROYED: string; HANDLE_DETACHED: string; CONNECTION_ERROR: string };
  }
  const janode: Janode;
  export default janode;
}

declare module 'janode/plugins/videoroom' {
  import type { JanodeHandle } from 'janode';

  export interface VideoRoomHandle extends JanodeHandle {
    create(params: Record<string, unknown>): Promise<{ room: number }>;
    destroy(params: { room: number; secret?: string }): Promise<unknown>;
    exists(params: { room: number }): Promise<{ room: number; exists: boolean }>;
    allow(params: { room: number; action: 'enable' | 'disable' | 'add' | 'remove'; list?: string[]; secret?: string }): Promise<unknown>;
    kick(params: { room: number; feed: number; secret?: string }): Promise<unknown>;
  }
  const videoroom: { id: string; Handle: new (...args: never[]) => VideoRoomHandle; EVENT: Record<string, string> };
  export default videoroom;
}
