export interface Migration {
  version: string;
  sql: string;
}

/** Versions not yet applied, in order. */
export function pending(all: Migration[], applied: Set<string>): Migration[] {
  const sorted = [...all].sort((a, b) => a.version.localeCompare(b.version));
  return sorted.filter((m) => !applied.has(m.version));
}
