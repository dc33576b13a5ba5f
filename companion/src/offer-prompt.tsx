// A bar pinned to the bottom of the phone's screen while files wait for this user's decision and the
// transfer list is scrolled out of view: the sender is held up until someone answers, and on a long
// inbox the offer at the top of the page is easy to miss. "Review" brings the offer into view.

import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Button } from '../../components/button';
import { filesTitle } from '../../components/format-transfer';
import { ArrowUpIcon } from '../../components/icons';
import type { TransferView } from '../../core/engine/transfer-center';

/** Whether the element is on screen; true until measured, so the bar never flashes on first render. */
function useInView(target: RefObject<HTMLElement>): boolean {
  const [inView, setInView] = useState(true);
  useEffect(() => {
    const element = target.current;
    if (!element || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(([entry]) => setInView(entry?.isIntersecting ?? true));
    observer.observe(element);
    return () => observer.disconnect();
  }, [target]);
  return inView;
}

export function OfferPrompt({
  offers,
  transfersRef,
}: {
  offers: readonly TransferView[];
  transfersRef: RefObject<HTMLElement>;
}) {
  const inView = useInView(transfersRef);
  const [first] = offers;
  if (!first || inView) return null;
  const text =
    offers.length === 1
      ? `${first.deviceName} wants to send you ${filesTitle(first.files)}`
      : `${offers.length} transfers are waiting for you`;
  return (
    <div class="offer-prompt" role="status">
      <ArrowUpIcon size={18} />
      <span class="offer-prompt__text">{text}</span>
      <Button
        variant="primary"
        small
        onClick={() => {
          const element = transfersRef.current;
          element?.scrollIntoView({ behavior: 'smooth', block: 'start' });
          element
            ?.querySelector<HTMLButtonElement>('[data-testid="transfer-accept"]')
            ?.focus({ preventScroll: true });
        }}
      >
        Review
      </Button>
    </div>
  );
}
