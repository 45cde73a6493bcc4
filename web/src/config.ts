// UI configuration injected by the server into index.html (jaeger-compat §2.6).

export interface UiConfig {
  search?: { maxLimit?: number };
  disableFileUploadControl?: boolean;
  disableJsonView?: boolean;
}

export interface VersionInfo {
  gitCommit?: string;
  gitVersion?: string;
  buildDate?: string;
}

declare global {
  interface Window {
    JAEGER_CONFIG?: unknown;
    JAEGER_STORAGE_CAPABILITIES?: unknown;
    JAEGER_VERSION?: unknown;
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

export function uiConfig(): UiConfig {
  return obj(typeof window !== 'undefined' ? window.JAEGER_CONFIG : undefined) as UiConfig;
}

export function versionInfo(): VersionInfo {
  return obj(typeof window !== 'undefined' ? window.JAEGER_VERSION : undefined) as VersionInfo;
}
