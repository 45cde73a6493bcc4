// Stable service colours: a service name always maps to the same palette entry (FNV-1a hash),
// so a service looks the same on every page and in every trace.
const PALETTE = [
  '#3b82f6', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16',
  '#f97316', '#14b8a6', '#6366f1', '#eab308', '#a855f7', '#22c55e', '#0ea5e9', '#d946ef',
  '#64748b', '#b45309', '#be123c', '#15803d',
];

export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function serviceColor(service: string): string {
  return PALETTE[hashString(service) % PALETTE.length];
}
