/**
 * @module storage/postgres/postgres-url
 * Whether a database setting names PostgreSQL. Apart from connection.ts so that reading the
 * settings does not load the pg driver (the CLI checks its flags before it loads the server).
 */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
