// The companion build this extension was built with (its version and build digest), put in by the build
// from dist/companion/build.json (wxt.config.ts); null in a build made without the companion.

import type { AppBuild } from '../core/protocol/app-build';

declare const __DIRECTDROP_COMPANION_BUILD__: { version: string; digest: string } | null;

export const SHIPPED_COMPANION_BUILD: AppBuild | null =
  typeof __DIRECTDROP_COMPANION_BUILD__ === 'undefined' ? null : __DIRECTDROP_COMPANION_BUILD__;
