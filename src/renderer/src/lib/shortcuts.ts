/** Global keyboard shortcuts: one table drives both the key handler and the help dialog. */
export interface Shortcut {
  keys: string;
  does: string;
  action: 'help' | 'cases' | 'compare' | 'verify' | 'theme' | 'search' | 'close';
}

export const SHORTCUTS: Shortcut[] = [
  { keys: '?', does: 'Show or hide this list', action: 'help' },
  { keys: 'g', does: 'Go to the case list', action: 'cases' },
  { keys: 'c', does: 'Open the trigger comparison', action: 'compare' },
  { keys: 'v', does: 'Verify a report archive', action: 'verify' },
  { keys: 't', does: 'Switch theme (system, dark, light)', action: 'theme' },
  { keys: '/', does: 'Focus the search field of the page', action: 'search' },
  { keys: 'Escape', does: 'Close dialogs and zoomed images', action: 'close' },
];

/** The shortcut a key press means, or null; never while the analyst types in a field. */
export function shortcutFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>,
): Shortcut['action'] | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const t = e.target as HTMLElement | null;
  const typing =
    !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  if (typing && e.key !== 'Escape') return null;
  return SHORTCUTS.find((s) => s.keys === e.key)?.action ?? null;
}
