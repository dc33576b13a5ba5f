// Sensible default names and types from a user-agent string ("Chrome on Linux", "Android phone"), so a
// freshly installed device shows up as something its owner recognises before they rename it.

import type { DeviceProfile } from './protocol/device';

function browserName(ua: string): string {
  if (/Edg(e|A|iOS)?\//.test(ua)) return 'Edge';
  if (/OPR\/|Opera/.test(ua)) return 'Opera';
  if (/Firefox\/|FxiOS\//.test(ua)) return 'Firefox';
  if (/Chrome\/|CriOS\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua)) return 'Safari';
  return 'Browser';
}

function osName(ua: string): string {
  if (/Windows/.test(ua)) return 'Windows';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Mac OS X|Macintosh/.test(ua)) return 'macOS';
  if (/Linux|X11/.test(ua)) return 'Linux';
  return 'desktop';
}

export function defaultDeviceProfile(userAgent: string): DeviceProfile {
  if (/iPad/.test(userAgent)) return { name: 'iPad', type: 'tablet' };
  if (/iPhone|iPod/.test(userAgent)) return { name: 'iPhone', type: 'phone' };
  if (/Android/.test(userAgent)) {
    // Android tablets drop the "Mobile" token from their user agent.
    return /Mobile/.test(userAgent)
      ? { name: 'Android phone', type: 'phone' }
      : { name: 'Android tablet', type: 'tablet' };
  }
  return { name: `${browserName(userAgent)} on ${osName(userAgent)}`, type: 'desktop' };
}
