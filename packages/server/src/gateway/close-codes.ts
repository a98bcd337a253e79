/** @module gateway/close-codes WebSocket close codes the server uses, so clients can tell "reconnect" from "update" from "stop". */

export const CloseCode = {
  /** The server is shutting down; reconnect later. */
  GOING_AWAY: 1001,
  /** The server failed before the connection could start. */
  SERVER_ERROR: 1011,
  /** A newer connection of the same device took over; do not reconnect automatically. */
  REPLACED: 4000,
  /** The client is older than the server's minimum version. */
  UPDATE_REQUIRED: 4001,
  /** Too many failed hellos on one connection. */
  AUTH_FAILED: 4002,
  /** No successful hello within the allowed time after the challenge. */
  HELLO_TIMEOUT: 4003,
  /**
   * Flooding: far more frames refused than a working client ever has (over the frame rate, or
   * requests before hello), or answers left unread while the server's queue for the client was full.
   */
  FLOODING: 4004,
  /** The device was removed from its account by another of its devices; its login is refused from now on. */
  DEVICE_REMOVED: 4005,
} as const;
