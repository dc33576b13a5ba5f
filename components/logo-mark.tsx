// The DirectDrop logo as an image element. An <img> of a data URL keeps each copy's gradient id private,
// which inline SVGs sharing one document would not.

import { logoDataUrl } from './logo';

const LOGO_URL = logoDataUrl();

export function LogoMark({ size = 32 }: { size?: number }) {
  return <img class="logo-mark" src={LOGO_URL} width={size} height={size} alt="" />;
}
