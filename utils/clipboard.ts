// Copying text from a page that is never focused (the offscreen document, the Firefox background page):
// navigator.clipboard needs focus there, the textarea + execCommand route with clipboardWrite does not.

export function copyTextWithoutFocus(text: string): Promise<void> {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  document.body.append(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('The browser refused to copy the text.');
  } finally {
    area.remove();
  }
  return Promise.resolve();
}
