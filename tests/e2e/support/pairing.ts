// Pairs the phone with the desktop the way a user does: the link from the popup, opened on the phone.

import { expect, type Page } from '@playwright/test';
import { type Desktop, type launchPhone, openPopup } from './browsers';

export interface Paired {
  popup: Page;
  phoneDeviceId: string;
  desktopDeviceId: string;
}

export async function pairThroughPopup(
  desktop: Desktop,
  phone: Awaited<ReturnType<typeof launchPhone>>,
): Promise<Paired> {
  const popup = await openPopup(desktop);
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online');
  const linkElement = popup.getByTestId('pairing-link');
  await expect(linkElement).toContainText('#pair=1.');
  const link = (await linkElement.textContent())?.trim() ?? '';
  await phone.page.goto(link);
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'paired');
  const phoneRow = popup.getByTestId('device-row');
  await expect(phoneRow).toHaveAttribute('data-status', 'online');
  const desktopRow = phone.page.getByTestId('device-row');
  await expect(desktopRow).toHaveAttribute('data-status', 'online');
  return {
    popup,
    phoneDeviceId: (await phoneRow.getAttribute('data-device-id')) ?? '',
    desktopDeviceId: (await desktopRow.getAttribute('data-device-id')) ?? '',
  };
}

/**
 * Pairs one more phone through a freshly opened popup (which, with devices already paired, opens the
 * pairing panel only on request), and returns the new phone's device id as the popup shows it.
 */
export async function pairAnotherThroughPopup(
  desktop: Desktop,
  phone: Awaited<ReturnType<typeof launchPhone>>,
): Promise<string> {
  const popup = await openPopup(desktop);
  const rows = popup.getByTestId('device-row');
  await expect(rows.first()).toBeVisible();
  const known = new Set(
    await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-device-id'))),
  );
  await popup.getByTestId('pair-device').click();
  const linkElement = popup.getByTestId('pairing-link');
  await expect(linkElement).toContainText('#pair=1.');
  await phone.page.goto((await linkElement.textContent())?.trim() ?? '');
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'paired');
  await expect(rows).toHaveCount(known.size + 1);
  const ids = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-device-id') ?? ''));
  const added = ids.find((id) => !known.has(id)) ?? '';
  await expect(popup.locator(`[data-testid="device-row"][data-device-id="${added}"]`)).toHaveAttribute(
    'data-status',
    'online',
  );
  await popup.close();
  return added;
}
