/**
 * Where a bench script writes the markdown twin of its JSON results: FILE.json -> FILE.md. A path
 * without the .json ending is refused, since replacing a missing ending would write the markdown
 * over the JSON just written.
 */
export function markdownBeside(jsonFile: string): string {
  if (!jsonFile.endsWith('.json')) throw new Error(`the results file must end in .json, not '${jsonFile}'`);
  return `${jsonFile.slice(0, -'.json'.length)}.md`;
}
