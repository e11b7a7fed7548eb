import type { AgentLogger } from './observability/logger.js';

/** One step that undoes a part started: stop, close or flush it. */
export type Undo = () => void | Promise<void>;

/**
 * What a start has done so far, to be undone if a later step fails (like Go's `defer`): each part pushes its undo
 * as it starts; `unwind` runs them newest first, each once, and a failing undo is logged, never stops the rest.
 */
export class UndoStack {
  readonly #undos: Array<{ what: string; undo: Undo }> = [];

  /** Remembers how to undo `what`, which has just started. */
  defer(what: string, undo: Undo): void {
    this.#undos.push({ what, undo });
  }

  /** Undoes everything remembered, in reverse order; the stack is empty afterwards. */
  async unwind(logger: AgentLogger): Promise<void> {
    for (let step = this.#undos.pop(); step; step = this.#undos.pop()) {
      try {
        await step.undo();
      } catch (err) {
        logger.warn(
          { err: (err as Error).message, part: step.what },
          'could not undo a part of a failed start',
        );
      }
    }
  }
}

/**
 * Runs `start` with an UndoStack; when it throws, undoes what it had started (in reverse order) and rethrows its
 * error unchanged, so the caller sees why the start failed and nothing of it keeps running.
 */
export async function startOrUndo<T>(
  logger: AgentLogger,
  start: (undo: UndoStack) => Promise<T>,
): Promise<T> {
  const undo = new UndoStack();
  try {
    return await start(undo);
  } catch (err) {
    await undo.unwind(logger);
    throw err;
  }
}
