// Whether this code runs inside a tslab kernel (a notebook) rather than a script or a test. Notebooks keep their
// outputs free of what ties them to one machine (folders, load times, the renderer's device), so that executing a
// notebook again changes it only where its results changed; scripts keep printing those details.

/**
 * True inside a tslab kernel: the kernel loads tslab/dist/jupyter before any cell runs. Looking it up in the module
 * cache (instead of requiring it) keeps plain node from loading tslab for nothing.
 */
export function inNotebook(): boolean {
  try {
    return require.cache[require.resolve("tslab/dist/jupyter")] !== undefined;
  } catch {
    return false;
  }
}
