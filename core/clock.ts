// Time as an injected dependency: tests drive it by hand, hosts pass the real one.

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): () => void;
}
