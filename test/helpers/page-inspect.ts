// What browser tests read inside a Chromium page: the focused element and its focus ring, table rows,
// the form controls as the accessibility tree names them, the page's storage; and a way to break the
// page's CSP on purpose.
//
// Code in page.evaluate() runs in Chromium, but the test program is typed for node: the DOM lib would
// retype fetch and Buffer for every test. The few browser globals used here are typed by hand below
// (module-scoped: they do not leak into other files).

import type { CDPSession, Page } from 'playwright-core'

interface InPageElement {
  readonly id: string
  textContent: string | null
  readonly children: ArrayLike<InPageElement>
  checkVisibility (): boolean
}
declare const document: {
  readonly activeElement: InPageElement | null
  readonly head: { append (node: InPageElement): void }
  querySelectorAll (selectors: string): ArrayLike<InPageElement>
  createElement (tag: string): InPageElement
}
declare const sessionStorage: { readonly length: number, getItem (key: string): string | null }
declare const localStorage: { readonly length: number }
declare function getComputedStyle (element: InPageElement): { readonly outlineStyle: string, readonly outlineWidth: string }

/** The focused element: its id, its text and its focus ring (outline style and width), as Chromium computes them. */
export async function focused (page: Page): Promise<{ id: string, text: string | null, ring: string }> {
  return await page.evaluate(() => {
    const element = document.activeElement as InPageElement
    const style = getComputedStyle(element)
    return { id: element.id, text: element.textContent, ring: `${style.outlineStyle} ${style.outlineWidth}` }
  })
}

/** Whether the element `selector` names is the focused one. */
export async function hasFocus (page: Page, selector: string): Promise<boolean> {
  return await page.locator(selector).evaluate((element) => element === document.activeElement)
}

/** The rows `selector` names: the texts of cells `from` to `to` (exclusive) of each, joined by ' | '. */
export async function rowsOf (page: Page, selector: string, from: number, to?: number): Promise<string[]> {
  return await page.locator(selector).evaluateAll((rows, [start, end]) => (rows as unknown as InPageElement[]).map((row) =>
    Array.from(row.children).slice(start, end).map((cell) => cell.textContent).join(' | ')), [from, to] as const)
}

/** The page's storage: how many entries each holds, and the value of `key` in sessionStorage. */
export async function storage (page: Page, key: string): Promise<{ session: number, local: number, value: string | null }> {
  return await page.evaluate((name) => ({ session: sessionStorage.length, local: localStorage.length, value: sessionStorage.getItem(name) }), key)
}

/** Add an inline <style> to the page, which a CSP without 'unsafe-inline' in style-src refuses. */
export async function addInlineStyle (page: Page): Promise<void> {
  await page.evaluate(() => {
    const style = document.createElement('style')
    style.textContent = 'body { background: red }'
    document.head.append(style)
  })
}

interface AxNode {
  readonly ignored: boolean
  readonly role?: { readonly value: string }
  readonly name?: { readonly value: string }
}

const CONTROL_ROLES = new Set(['textbox', 'checkbox', 'button', 'combobox', 'radio', 'spinbutton', 'searchbox', 'listbox', 'slider', 'switch'])

/**
 * The form controls of the page as Chromium's accessibility tree has them (the names a screen reader
 * reads, computed by the browser itself), and how many visible input/button/select/textarea elements
 * the DOM holds: equal counts mean the tree saw every one.
 * @param cdp a CDP session of the page (context.newCDPSession(page))
 */
export async function controls (page: Page, cdp: CDPSession): Promise<{ names: string[], unnamed: string[], domCount: number }> {
  const { nodes } = await cdp.send('Accessibility.getFullAXTree') as { nodes: AxNode[] }
  const found = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value ?? ''))
  const domCount = await page.evaluate(() =>
    Array.from(document.querySelectorAll('input, button, select, textarea')).filter((e) => e.checkVisibility()).length)
  return {
    names: found.map((n) => `${n.role?.value}: ${n.name?.value ?? ''}`),
    unnamed: found.filter((n) => (n.name?.value ?? '').trim() === '').map((n) => n.role?.value ?? '?'),
    domCount,
  }
}
