import type { StoredReport } from './report-store.js';

/** Receives every report right after its commit. */
export type ReportListener = (report: StoredReport) => void;

/** The in-process feed of committed reports (the live tail listens here). */
export class ReportFeed {
  readonly #listeners = new Set<ReportListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ReportListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands committed reports to every listener; a throwing listener never stops the others. */
  emit(reports: readonly StoredReport[]): void {
    if (this.#listeners.size === 0) return;
    for (const report of reports)
      for (const listener of [...this.#listeners]) {
        try {
          listener(report);
        } catch {
          // A live-tail client's failure must never reach the ingress.
        }
      }
  }
}
