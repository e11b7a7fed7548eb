/** One schema step: applied once, in order, tracked by `PRAGMA user_version`. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}
