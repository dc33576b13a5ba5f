// Buttons and button-looking links in DirectDrop's few variants: primary for the one main action on a
// screen, secondary for the rest, ghost for quiet row actions, danger for destructive confirmations.

import type { AnchorHTMLAttributes, ButtonHTMLAttributes, Ref } from 'preact';
import { classNames } from './class-names';

export type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger';

interface LookProps {
  variant?: ButtonVariant;
  small?: boolean;
}

export function buttonClass({ variant = 'secondary', small = false }: LookProps, extra: unknown): string {
  return classNames('btn', `btn--${variant}`, small && 'btn--small', typeof extra === 'string' && extra);
}

export function Button({
  variant,
  small,
  class: extra,
  type = 'button',
  buttonRef,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & LookProps & { buttonRef?: Ref<HTMLButtonElement> }) {
  return <button type={type} ref={buttonRef} class={buttonClass({ variant, small }, extra)} {...rest} />;
}

/** A link that opens in a new tab without giving the opened page a handle on this one. */
export function ExternalLinkButton({
  variant,
  small,
  class: extra,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & LookProps) {
  return (
    <a class={buttonClass({ variant, small }, extra)} target="_blank" rel="noopener noreferrer" {...rest} />
  );
}
