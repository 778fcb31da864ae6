// Files that may hold secrets: owner-only (0600) files in owner-only (0700) directories, written
// atomically so a reader never sees half a file and a crash never leaves a readable copy behind.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";

export const SECURE_FILE_MODE = 0o600;
export const SECURE_DIR_MODE = 0o700;

/**
 * Write `data` to `filePath` through a temporary file in the same directory and a rename. The
 * final file is always 0600, even when it existed before with a wider mode: the rename replaces it.
 * Parent directories that have to be created are made 0700; existing ones are left alone.
 */
export async function writeSecureFile(filePath: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(filePath);
  await mkdir(dir, { recursive: true, mode: SECURE_DIR_MODE });
  const tempPath = path.join(
    dir,
    `.${path.basename(filePath)}.${randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    // "wx": never follow or reuse something already sitting at the temporary name.
    const handle = await open(tempPath, "wx", SECURE_FILE_MODE);
    try {
      // The mode given to open() is masked by the umask; set it exactly.
      await handle.chmod(SECURE_FILE_MODE);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, filePath);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
}

/** The file's text, or undefined when it does not exist. Other read errors are thrown. */
export async function readIfExists(filePath: string): Promise<string | undefined> {
  try {
    return await readFile(filePath, "utf8");
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
