import { useRef, useState, type RefObject } from 'react';

type CopyState = 'copied' | 'failed' | null;

export interface Copy {
  /** The element that shows the text: it is selected when the clipboard cannot be written. */
  ref: RefObject<HTMLElement | null>;
  state: CopyState;
  copy: () => void;
}

/**
 * Copies the text to the clipboard; without clipboard access the text is left selected so the
 * operator can press Ctrl+C. What came of the last copy is forgotten when the text changes.
 */
export function useCopy(text: string): Copy {
  const ref = useRef<HTMLElement>(null);
  const [last, setLast] = useState<{ for: string; state: 'copied' | 'failed' } | null>(null);
  const select = (): void => {
    const el = ref.current;
    const sel = window.getSelection();
    if (!el || !sel) return;
    const range = document.createRange();
    range.selectNodeContents(el);
    sel.removeAllRanges();
    sel.addRange(range);
  };
  const copy = (): void => {
    const clip = window.navigator.clipboard as Clipboard | undefined;
    if (!clip) {
      select();
      setLast({ for: text, state: 'failed' });
      return;
    }
    clip.writeText(text).then(
      () => setLast({ for: text, state: 'copied' }),
      () => { select(); setLast({ for: text, state: 'failed' }); },
    );
  };
  return { ref, state: last?.for === text ? last.state : null, copy };
}

/** "Copy <label>" and, for screen readers too, whether it worked. */
export function CopyButton({ copy, label, testId }: { copy: Copy; label: string; testId: string }) {
  return (
    <>
      <button type="button" onClick={copy.copy} data-testid={testId}>Copy {label}</button>
      <span role="status" aria-live="polite" className={copy.state === 'failed' ? 'error small' : 'ok small'}>
        {copy.state === 'copied' ? 'Copied.' : copy.state === 'failed' ? `No clipboard access: the ${label} is selected, press Ctrl+C (⌘C).` : ''}
      </span>
    </>
  );
}
