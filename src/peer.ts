/** Loads an optional peer dependency, or says which one to install. */
export function loadPeer<T>(name: string, range: string, purpose: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`)) {
      throw new Error(`${purpose} needs the optional peer dependency ${name}@${range}, which is not installed: npm install ${name}@${range}`);
    }
    throw error;
  }
}
