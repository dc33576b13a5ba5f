// Recent downloads for the "send a download" list, and sending one. The background reads the file with
// the site's own URL, which needs a host permission the user grants per site: it is requested straight
// from the click (the browser requires the user's gesture, so nothing is awaited before it). Firefox
// shows that prompt under the popup, so there the popup hands over to the send page unless the site
// was already granted.

import { useCallback, useLayoutEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { type DownloadView, downloadHost, recentFirst } from '../../components/recent-downloads';
import { askEngine } from '../../utils/engine-client';
import type { RecentDownload } from '../../utils/extension-messages';

const SHOWN = 5;

function originPattern(download: DownloadView): string | undefined {
  return downloadHost(download) && download.origin ? `${new URL(download.origin).origin}/*` : undefined;
}

export interface RecentDownloadsState {
  downloads: DownloadView[];
  send(download: DownloadView, deviceIds: string[]): Promise<'sent' | 'moved'>;
}

export function useRecentDownloads({
  inPopupOnFirefox,
}: {
  inPopupOnFirefox: boolean;
}): RecentDownloadsState {
  const [downloads, setDownloads] = useState<RecentDownload[]>([]);
  /** Origin patterns already granted, so Firefox's popup can send those without a prompt. */
  const [granted, setGranted] = useState<ReadonlySet<string>>(new Set());

  const load = useCallback(() => {
    askEngine({ type: 'recent-downloads' }).then(
      async (all: RecentDownload[]) => {
        const shown = recentFirst(all, SHOWN);
        setDownloads(shown);
        const patterns = [...new Set(shown.map(originPattern).filter((p): p is string => !!p))];
        const checks = await Promise.all(
          patterns.map(
            async (p) =>
              [p, await browser.permissions.contains({ origins: [p] }).catch(() => false)] as const,
          ),
        );
        setGranted(new Set(checks.filter(([, ok]) => ok).map(([p]) => p)));
      },
      () => {
        // Without the downloads list the section stays hidden; sending files by hand still works.
      },
    );
  }, []);

  // At mount, like the engine state (use-extension-engine.ts): hidden tabs get frames late.
  useLayoutEffect(() => {
    load();
    addEventListener('focus', load);
    return () => removeEventListener('focus', load);
  }, [load]);

  const send = useCallback(
    (download: DownloadView, deviceIds: string[]): Promise<'sent' | 'moved'> => {
      const pattern = originPattern(download);
      if (pattern && inPopupOnFirefox && !granted.has(pattern)) {
        void browser.tabs
          .create({ url: browser.runtime.getURL('/send.html#downloads') })
          .then(() => window.close());
        return Promise.resolve('moved');
      }
      const host = downloadHost(download);
      // Called synchronously from the click handler: the prompt needs the user's gesture.
      const permission = pattern
        ? browser.permissions.request({ origins: [pattern] })
        : Promise.resolve(true);
      return permission.then(async (ok) => {
        if (!ok) {
          throw new Error(
            `DirectDrop needs to read the file from ${host ?? 'its site'} to send it. Allow that, or choose the file from your computer.`,
          );
        }
        if (pattern) setGranted((current) => new Set([...current, pattern]));
        await askEngine({ type: 'send-download', downloadId: download.id, deviceIds });
        return 'sent' as const;
      });
    },
    [granted, inPopupOnFirefox],
  );

  return { downloads, send };
}
