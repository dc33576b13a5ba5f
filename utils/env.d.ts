// Build-time settings read through import.meta.env (WXT passes WXT_-prefixed variables through).
interface ImportMetaEnv {
  readonly WXT_DIRECTDROP_SERVER_URL?: string;
}
