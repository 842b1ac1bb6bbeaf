// Small pure helpers that several subsystems need, kept once here at the bottom of the import graph.

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Strict UTF-8: the text, or undefined when the bytes are not valid UTF-8 (never U+FFFD stand-ins). */
export function decodeUtf8 (bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** Does nothing: the default of an optional callback, and the listener that only marks an event handled. */
export function noop (): void {}
