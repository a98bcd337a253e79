/**
 * @module output
 * How the CLI speaks: human lines by default, one JSON object per line with
 * --json, and errors as one clear line on stderr with a non-zero exit code.
 */
import { ClientError, RemoteError, type ClientErrorCode } from '@sotto/core';
import { ProtocolError, errorCodeName } from '@sotto/protocol';

export interface Output {
  readonly json: boolean;
  /** A result: a human line, or the JSON record. */
  print(human: string, record: Record<string, unknown>): void;
  /** What is happening meanwhile (retries, waits), on stderr so results on stdout stay clean: a human line, or `{"notice": record}`. */
  notice(human: string, record: Record<string, unknown>): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    print(human, record) {
      process.stdout.write(json ? JSON.stringify(record, bigintSafe) + '\n' : human + '\n');
    },
    notice(human, record) {
      process.stderr.write(json ? JSON.stringify({ notice: record }, bigintSafe) + '\n' : human + '\n');
    },
  };
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Exit codes: 1 failure, 2 usage, 3 update required. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof RemoteError && error.wireName === 'UPDATE_REQUIRED') return 3;
  if (error instanceof ClientError && error.code === 'INVALID_INPUT') return 2;
  return 1;
}

/**
 * What to do next, in the CLI's own words: the engine words its errors for no surface in
 * particular, so advice that names a command is added here, where the command line is known.
 */
const CLIENT_HINTS: Partial<Record<ClientErrorCode, string>> = {
  NOT_REGISTERED: 'Run "sotto register" first.',
};

/** One line: what went wrong (with the CLI's advice, if it has any), and its stable code. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof RemoteError) return { code: error.wireName, message: error.message };
  if (error instanceof ClientError) {
    const hint = CLIENT_HINTS[error.code];
    return { code: error.code, message: hint ? `${error.message} ${hint}` : error.message };
  }
  if (error instanceof ProtocolError) return { code: errorCodeName(error.code), message: error.message };
  const systemCode = error && typeof error === 'object' && 'code' in error ? (error as { code: unknown }).code : undefined;
  if (systemCode === 'ECONNREFUSED') {
    return { code: 'UNREACHABLE', message: 'Cannot reach the server: is it running, and is the URL right?' };
  }
  // The resolver's and OpenSSL's own words mean nothing to a member: say what to check.
  if (systemCode === 'ENOTFOUND' || systemCode === 'EAI_AGAIN') {
    const host = error && typeof error === 'object' && 'hostname' in error ? String((error as { hostname: unknown }).hostname) : 'that name';
    return { code: 'UNREACHABLE', message: `No server named ${host} was found: check the address in --server.` };
  }
  if (systemCode === 'EPROTO' || (typeof systemCode === 'string' && systemCode.startsWith('ERR_SSL_'))) {
    return { code: 'UNREACHABLE', message: 'The server at that address does not speak TLS: use http:// (or put a TLS proxy in front of it).' };
  }
  if (error instanceof Error && error.name === 'ServerError' && 'code' in error) {
    return { code: errorCodeName((error as unknown as { code: number }).code), message: error.message };
  }
  if (error instanceof Error && error.name === 'ConfigError') return { code: 'BAD_CONFIG', message: error.message };
  if (error instanceof Error && error.name === 'DatabaseRefusedError') return { code: 'BAD_DATABASE', message: error.message };
  return { code: 'FAILED', message: error instanceof Error ? error.message : String(error) };
}

export function reportError(error: unknown, json: boolean): never {
  const { code, message } = describeError(error);
  process.stderr.write(json ? JSON.stringify({ error: { code, message } }) + '\n' : `error: ${message} (${code})\n`);
  process.exit(exitCodeFor(error));
}
