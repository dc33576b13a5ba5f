// Chrome: reaching the engine in the offscreen document. The document is created on demand, exactly one,
// and survives the service worker being stopped; requests wait for it and retry while it starts.

import { type Browser, browser } from 'wxt/browser';
import type { EngineRequest, EngineResponses, RpcResult, ToOffscreen } from './extension-messages';

const OFFSCREEN_PATH = '/offscreen.html';
let creating: Promise<void> | undefined;

async function hasOffscreenDocument(): Promise<boolean> {
  const contexts = await browser.runtime.getContexts({
    contextTypes: ['OFFSCREEN_DOCUMENT' as Browser.runtime.ContextType],
    documentUrls: [browser.runtime.getURL(OFFSCREEN_PATH)],
  });
  return contexts.length > 0;
}

export async function ensureOffscreenDocument(): Promise<void> {
  if (await hasOffscreenDocument()) return;
  creating ??= browser.offscreen
    .createDocument({
      url: OFFSCREEN_PATH,
      reasons: ['WEB_RTC' as Browser.offscreen.Reason, 'CLIPBOARD' as Browser.offscreen.Reason],
      justification:
        'Keeps the peer-to-peer WebRTC connections to your paired devices open and copies received text.',
    })
    .catch(async (error: unknown) => {
      // Another caller won the race: that is fine as long as the document now exists.
      if (!(await hasOffscreenDocument())) throw error;
    })
    .finally(() => {
      creating = undefined;
    });
  await creating;
}

export async function askOffscreenEngine(
  request: EngineRequest,
): Promise<RpcResult<EngineResponses[EngineRequest['type']]>> {
  const message: ToOffscreen = { to: 'offscreen', request };
  for (let attempt = 0; ; attempt++) {
    await ensureOffscreenDocument();
    try {
      const result = (await browser.runtime.sendMessage(message)) as
        | RpcResult<EngineResponses[EngineRequest['type']]>
        | undefined;
      if (result) return result;
    } catch (error) {
      if (attempt >= 20)
        return { ok: false, error: `DirectDrop’s connection host is not answering (${error}).` };
    }
    if (attempt >= 20) return { ok: false, error: 'DirectDrop’s connection host is not answering.' };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
