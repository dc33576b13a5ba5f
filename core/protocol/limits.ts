// Every bound the protocol enforces, in one place so the protocol document and the code agree.

export const PROTOCOL_VERSION = 1;

/** Largest control (JSON text) message accepted or sent; below SCTP's usual 256 KiB maxMessageSize. */
export const MAX_CONTROL_MESSAGE_BYTES = 240 * 1024;
/** Selected text travels inline; 200 KB of UTF-8 covers long articles and keeps messages one frame. */
export const MAX_TEXT_BYTES = 200_000;
export const MAX_URL_LENGTH = 8192;
export const MAX_TITLE_LENGTH = 512;
export const MAX_DEVICE_NAME_LENGTH = 64;
export const MAX_ITEM_ID_LENGTH = 64;

/** How long a pairing QR code stays valid. Short, because it is shown on screen. */
export const PAIRING_TTL_MS = 2 * 60 * 1000;
/** The handshake must finish within this time or the connection is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 15_000;
/** Messages held for a handshake or session before the engine attaches. */
export const MAX_QUEUED_MESSAGES = 64;
