// A titled block of a screen, with an optional action beside the title (e.g. "Pair a device").

import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

interface SectionProps {
  title: string;
  action?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}

export function Section({ title, action, children, class: extra }: SectionProps) {
  const headingId = useId();
  return (
    <section class={extra ? `section ${extra}` : 'section'} aria-labelledby={headingId}>
      <div class="section__head">
        <h2 class="section__title" id={headingId}>
          {title}
        </h2>
        {action}
      </div>
      {children}
    </section>
  );
}
