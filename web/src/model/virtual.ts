// Window math for virtualized lists of fixed-height rows: which rows to render for a scroll
// position, so the DOM holds only what is on screen plus a small overscan.

export interface VirtualWindow {
  /** First row to render (inclusive). */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Pixel offset of row `start` from the top of the list. */
  offsetTop: number;
  /** Height of the whole list in pixels. */
  totalHeight: number;
}

export function virtualWindow(
  rowCount: number, rowHeight: number, scrollTop: number, viewportHeight: number,
  overscan = 5,
): VirtualWindow {
  const count = Math.max(0, Math.floor(rowCount));
  const totalHeight = count * rowHeight;
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, offsetTop: 0, totalHeight };
  const maxScroll = Math.max(0, totalHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight) - first;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offsetTop: start * rowHeight, totalHeight };
}

/**
 * The scrollTop that brings row `index` into view with the least movement (unchanged when it
 * is already fully visible).
 */
export function scrollToReveal(
  index: number, rowHeight: number, scrollTop: number, viewportHeight: number,
): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}
