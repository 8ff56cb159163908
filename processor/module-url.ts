/**
 * The URL of a module next to `base` (an import.meta.url), given as `./name.ts`: Node runs the
 * TypeScript sources directly, while a build (dist/) has the compiled `.js` in the same place.
 * Worker threads and topology sources are loaded by URL, which the build does not rewrite.
 */
export function siblingModuleUrl(relativeTs: string, base: string): URL {
  if (!relativeTs.endsWith('.ts')) throw new Error(`expected a .ts module path, got ${relativeTs}`);
  const path = base.endsWith('.ts') ? relativeTs : `${relativeTs.slice(0, -'.ts'.length)}.js`;
  return new URL(path, base);
}
