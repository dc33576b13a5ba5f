// The only globals core/ relies on: text codecs present in every JavaScript runtime DirectDrop targets
// (browsers, workers, Node). Declared here because core/ compiles without DOM or Node type libraries.

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}

declare class URL {
  constructor(url: string, base?: string);
  readonly protocol: string;
  readonly host: string;
  readonly href: string;
}
