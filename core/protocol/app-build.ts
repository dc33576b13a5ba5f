// Which build of the companion app a device runs, as it reports it inside an authenticated session, and
// how that report compares with the build an extension shipped with. The report is the phone code's own
// claim: it tells an honest phone that runs another build from one that runs the expected build, and it
// cannot unmask code that lies about itself (docs/SECURITY.md).

import { z } from 'zod';

export interface AppBuild {
  version: string;
  /** Hex SHA-256 build digest of the pinned build; null when the app runs without a pinned copy. */
  digest: string | null;
}

export const appBuildSchema = z.object({
  t: z.literal('app-build'),
  version: z.string().regex(/^[0-9A-Za-z.+-]{1,32}$/),
  digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
});

export type AppBuildCheck =
  /** The device runs the build the extension shipped with. */
  | 'same'
  /** It runs a pinned build, but another one. */
  | 'different'
  /** It runs the app without a pinned copy, so the server can change it at every load. */
  | 'unpinned';

export function checkAppBuild(expected: AppBuild, reported: AppBuild): AppBuildCheck {
  if (reported.digest === null) return 'unpinned';
  return reported.digest === expected.digest ? 'same' : 'different';
}

/** A digest short enough to read out and compare: the first 16 hex digits in groups of four. */
export function shortDigest(digest: string): string {
  return (digest.slice(0, 16).match(/.{4}/g) ?? []).join(' ');
}
