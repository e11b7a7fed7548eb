/** What the database's background work logs to: its failures only (any logger with `error` serves). */
export interface ErrorLog {
  error(obj: object, msg: string): void;
}
