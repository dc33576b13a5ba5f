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
