// Types of package-extension.mjs for the tests that import it.
export function zipDirectory(dir: string): Uint8Array;
export function lintExtension(dir: string): Promise<{
  summary: { errors: number; warnings: number; notices: number };
  errors: unknown[];
  warnings: unknown[];
}>;
export function packageExtension(): Promise<string[]>;
