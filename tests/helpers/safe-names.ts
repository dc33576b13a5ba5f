// What makes a file or device name unsafe to create or to show, written independently of the sanitisers
// in core/ so tests can hold them to it: the rules of Windows (NTFS and its device names), FAT/exFAT (as
// on Android SD cards), macOS and Linux, plus characters that hide or reorder text on screen.

const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI_OR_INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a file name could not be created, or would mislead, on some system; '' when it is safe everywhere. */
export function unsafeFileNameReason(name: string): string {
  if (name.length === 0) return 'empty';
  if (new TextEncoder().encode(name).length > 255) return 'longer than 255 bytes';
  if (/[<>:"/\\|?*]/.test(name)) return 'a character Windows, FAT or macOS Finder forbids, or a separator';
  if (CONTROL.test(name)) return 'a control character';
  if (BIDI_OR_INVISIBLE.test(name)) return 'a bidi or invisible character';
  if (LONE_SURROGATE.test(name)) return 'not well-formed Unicode';
  if (name === '.' || name === '..' || name.startsWith('.')) return 'a dot name or hidden file';
  if (/[. ]$/.test(name) || name.startsWith(' ')) return 'a leading space or trailing dot or space';
  const base = (name.split('.')[0] ?? '').replace(/ +$/, '');
  if (WINDOWS_DEVICES.test(base)) return 'a Windows device name';
  return '';
}

/** Why a device name is unsafe to show on one line; '' when it is fine. */
export function unsafeDisplayNameReason(name: string, maxCodePoints: number): string {
  if (name.length === 0) return 'empty';
  if ([...name].length > maxCodePoints) return 'too long';
  if (CONTROL.test(name)) return 'a control character';
  if (BIDI_OR_INVISIBLE.test(name)) return 'a bidi or invisible character';
  if (LONE_SURROGATE.test(name)) return 'not well-formed Unicode';
  if (name !== name.trim() || /\s\s/.test(name)) return 'untrimmed or repeated whitespace';
  return '';
}
