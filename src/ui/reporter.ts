/** What ops/ reports progress through: steps, info and warnings. The modes implementing it are in progress*.ts. */

export interface StepHandle {
  update(detail: string): void;
  succeed(detail?: string): void;
  /** The step found everything already right and changed nothing. */
  skip(detail: string): void;
  fail(error: unknown): void;
}

export interface Reporter {
  step(id: string, title: string): StepHandle;
  info(line: string): void;
  warn(line: string): void;
  /** Stops the spinner; steps still running are reported as stopped. Idempotent. */
  close(): void;
}
