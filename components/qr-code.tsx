// A QR code drawn as one SVG path from the qrcode package's module matrix: vector-crisp at any zoom,
// no canvas and no HTML strings. Always dark on white with the standard four-module quiet zone, because
// scanners expect exactly that, even when the rest of the page is dark.

import { useMemo } from 'preact/hooks';
import { create } from 'qrcode';

const QUIET_ZONE = 4;

interface QrCodeProps {
  value: string;
  /** Upper bound for the drawn size in CSS pixels; the real size is a whole number of pixels per module. */
  maxSize?: number;
  label: string;
  testId?: string;
}

export function QrCode({ value, maxSize = 232, label, testId }: QrCodeProps) {
  const { path, span } = useMemo(() => {
    const { modules } = create(value, { errorCorrectionLevel: 'M' });
    const parts: string[] = [];
    for (let row = 0; row < modules.size; row++) {
      for (let col = 0; col < modules.size; col++) {
        if (modules.data[row * modules.size + col]) parts.push(`M${col} ${row}h1v1h-1z`);
      }
    }
    return { path: parts.join(''), span: modules.size + 2 * QUIET_ZONE };
  }, [value]);

  const pixelsPerModule = Math.max(2, Math.floor(maxSize / span));
  const size = pixelsPerModule * span;

  return (
    <svg
      class="qr-code"
      data-testid={testId}
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`${-QUIET_ZONE} ${-QUIET_ZONE} ${span} ${span}`}
      shape-rendering="crispEdges"
    >
      <rect x={-QUIET_ZONE} y={-QUIET_ZONE} width={span} height={span} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
