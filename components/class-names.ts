// Joins CSS class names, skipping the falsy ones, so conditional classes read as one expression.

export function classNames(...names: Array<string | false | null | undefined>): string {
  return names.filter(Boolean).join(' ');
}
