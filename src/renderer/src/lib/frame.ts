/**
 * Coalesces bursts into one call per animation frame: the engine can emit progress far faster than the
 * screen refreshes, and applying every event would re-render for nothing.
 */
export function perFrame(flush: () => void): () => void {
  let scheduled = false;
  const raf =
    typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb: () => void) => setTimeout(cb, 16);
  return () => {
    if (scheduled) return;
    scheduled = true;
    raf(() => {
      scheduled = false;
      flush();
    });
  };
}
