/**
 * cell-series: a bound series that adds into a delta cell of this thread (recorder.ts): what a
 * counter child and a gauge child share. A typed-array add costs about the Float64Array floor
 * (3.3 ns) where a buffered (handle, value) pair costs 10-15 ns.
 */
import { deltaCell, moveDeltaCell } from './recorder.js';

export class CellSeries {
  protected handleValue: number;
  /** The delta cell, or -1: record through the sample buffer (no cell was free). */
  protected readonly cell: number;

  constructor(handle: number, cells: boolean) {
    this.handleValue = handle;
    this.cell = cells ? deltaCell(handle, this) : -1;
  }

  /** handle: the native series handle (a cache prune moves it when the series is revived). */
  get handle(): number {
    return this.handleValue;
  }

  set handle(handle: number) {
    this.handleValue = handle;
    if (this.cell >= 0) moveDeltaCell(this.cell, handle);
  }
}
