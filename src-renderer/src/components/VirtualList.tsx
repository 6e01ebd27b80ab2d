import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, type ReactNode } from 'react';

export interface VirtualListProps<T> {
  items: readonly T[];
  /** A stable key, so a measured height stays with its item when the list changes. */
  getKey: (item: T) => string;
  /** A row's height in px until it is measured. */
  estimateSize: number;
  overscan: number;
  /** The page's row class (its grid columns), on the column headings and on every row. */
  rowClassName: string;
  /** More classes for one row, e.g. to mark it. */
  rowExtraClassName?: (item: T) => string;
  /** The page's scroller class (its height). */
  scrollerClassName: string;
  /** Column headings, one element per column; hidden from screen readers, which read the rows. */
  head: ReactNode;
  label: string;
  testId: string;
  rowTestId: string;
  renderRow: (item: T) => ReactNode;
}

/**
 * A long list as a table of grid rows under column headings: only the rows in view are in the
 * DOM, each measured as it renders. Styles: `.vlist-*` in styles.css.
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, getKey, rowClassName, rowExtraClassName, renderRow } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => props.estimateSize,
    overscan: props.overscan,
    getItemKey: (index) => {
      const item = items[index];
      return item === undefined ? index : getKey(item);
    },
  });
  return (
    <div>
      <div className={`vlist-row vlist-head ${rowClassName}`} aria-hidden="true">{props.head}</div>
      <div ref={scrollRef} className={`vlist-scroller ${props.scrollerClassName}`} data-testid={props.testId} role="list" aria-label={props.label} tabIndex={0}>
        <div className="vlist-inner" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((v) => {
            const item = items[v.index];
            if (item === undefined) return null;
            const extra = rowExtraClassName?.(item);
            return (
              <div
                key={v.key}
                ref={virtualizer.measureElement}
                data-index={v.index}
                role="listitem"
                aria-setsize={items.length}
                aria-posinset={v.index + 1}
                className={`vlist-row ${rowClassName}${extra ? ` ${extra}` : ''}`}
                style={{ transform: `translateY(${v.start}px)` }}
                data-testid={props.rowTestId}
              >
                {renderRow(item)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
