// Every bound the protocol enforces, in one place so the protocol document and the code agree.

/**
 * 2: the initiator commits to its share of the handshake before the responder answers (a v1 peer and a v2
 * peer refuse each other's hello with `version`).
 */
export const PROTOCOL_VERSION = 2;

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
/**
 * Nearby (unpaired) handshakes a device answers: this many at once, then one more per interval. Each
 * answer is one guess at the verification code for whoever dialled (core/session/answer-budget.ts).
 */
export const NEARBY_ANSWER_BURST = 30;
export const NEARBY_ANSWER_INTERVAL_MS = 2 * 60 * 1000;
/** Messages held for a handshake or session before the engine attaches. */
export const MAX_QUEUED_MESSAGES = 64;

// ---- file transfers ----

export const MAX_FILES_PER_OFFER = 1000;
/** 1 PiB: far beyond any real file, and well inside the integers JavaScript represents exactly. */
export const MAX_FILE_SIZE = 2 ** 50;
/** Names are sanitised on arrival; this only bounds what a peer may put in an offer. */
export const MAX_OFFERED_NAME_LENGTH = 1024;
export const MAX_MIME_TYPE_LENGTH = 255;
/** Data frames are at most this large (header included), and never larger than the channel allows. */
export const MAX_CHUNK_BYTES = 256 * 1024;
/** Bytes a receiver lets the sender have in flight beyond what it has written. */
export const RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;
/** The receiver acknowledges at least this often, so the sender's window keeps moving. */
export const ACK_STEP_BYTES = 2 * 1024 * 1024;
/** Sender-side data channel high- and low-water marks (Chromium fails sends past 16 MiB buffered). */
export const SEND_BUFFER_HIGH_BYTES = 4 * 1024 * 1024;
export const SEND_BUFFER_LOW_BYTES = 1024 * 1024;
/** Open incoming transfers per paired device; more offers are declined as busy. */
export const MAX_INCOMING_TRANSFERS = 8;
