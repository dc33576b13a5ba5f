// A small coloured dot for a connection state. Colour is never the only signal: every dot sits next to
// a text label.

import { classNames } from './class-names';

export type DotTone = 'online' | 'connecting' | 'offline' | 'problem';

export function StatusDot({ tone }: { tone: DotTone }) {
  return <span class={classNames('status-dot', `status-dot--${tone}`)} aria-hidden="true" />;
}
