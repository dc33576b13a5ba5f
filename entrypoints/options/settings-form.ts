// The options form's values as the user types them (strings and a checkbox) and their translation to
// and from stored Settings. Validation goes through settingsSchema so its messages reach the user.

import { cleanDeviceName } from '../../core/protocol/device';
import { type Settings, settingsSchema } from '../../utils/settings';

export interface SettingsFormValues {
  name: string;
  serverUrl: string;
  /** JSON text; empty means "use the server's suggestion". */
  iceServers: string;
  notifyOnReceive: boolean;
  offerToSendDownloads: boolean;
}

export type SettingsFormErrors = Partial<Record<keyof SettingsFormValues, string>>;

export type SettingsFormResult =
  /** `name` is undefined when the name was not editable and so not read. */
  { ok: true; settings: Settings; name: string | undefined } | { ok: false; errors: SettingsFormErrors };

const ICE_EXAMPLE = '[{ "urls": "stun:stun.example.org:3478" }]';

export function formValuesFrom(settings: Settings, name: string): SettingsFormValues {
  return {
    name,
    serverUrl: settings.serverUrl,
    iceServers: settings.iceServers.length > 0 ? JSON.stringify(settings.iceServers, null, 2) : '',
    notifyOnReceive: settings.notifyOnReceive,
    offerToSendDownloads: settings.offerToSendDownloads,
  };
}

export function readSettingsForm(
  values: SettingsFormValues,
  { nameEditable }: { nameEditable: boolean },
): SettingsFormResult {
  const errors: SettingsFormErrors = {};

  const name = nameEditable ? cleanDeviceName(values.name, '') : undefined;
  if (name === '') errors.name = 'Enter a name, so your other devices can tell this one apart.';

  let iceServers: unknown = [];
  if (values.iceServers.trim()) {
    try {
      iceServers = JSON.parse(values.iceServers);
    } catch {
      errors.iceServers = `This is not valid JSON. Enter a list like ${ICE_EXAMPLE}, or leave it empty.`;
    }
  }

  const parsed = settingsSchema.safeParse({
    serverUrl: values.serverUrl,
    iceServers,
    notifyOnReceive: values.notifyOnReceive,
    offerToSendDownloads: values.offerToSendDownloads,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [field, index, key] = issue.path;
      if (field === 'serverUrl') errors.serverUrl ??= issue.message;
      if (field === 'iceServers' && !errors.iceServers)
        errors.iceServers = describeIceIssue(index, key, issue.message);
    }
  }

  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, settings: parsed.data, name };
}

function describeIceIssue(
  index: PropertyKey | undefined,
  key: PropertyKey | undefined,
  message: string,
): string {
  if (typeof index !== 'number') {
    return `${message}. Enter a list of servers like ${ICE_EXAMPLE}, or leave it empty.`;
  }
  const where = `Server ${index + 1}${typeof key === 'string' ? `, "${key}"` : ''}`;
  return `${where}: ${message}. Each server needs "urls" (a stun: or turn: address, or a list of them) and may have "username" and "credential".`;
}
