// Building DOM nodes. Text always goes in as text nodes, never as markup: names, ids and audit values
// come from the data, and the data is not trusted to be harmless HTML.

/** An attribute's value: a string sets it, true sets it empty, false or undefined leaves it out. */
export type Attrs = Readonly<Record<string, string | boolean | undefined>>

/** A child: an element, text, or nothing (skipped, so children can be conditional). */
export type Child = Node | string | null | undefined | false

/** Create an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: readonly Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) element.setAttribute(name, '')
    else if (typeof value === 'string') element.setAttribute(name, value)
  }
  append(element, children)
  return element
}

/** Append children to a node, skipping empty ones. */
export function append (parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  }
}

/** A link to a view of the console (app.ts routes); each path segment percent-encoded. */
export function link (text: string, ...path: readonly string[]): HTMLAnchorElement {
  return h('a', { href: '#/' + path.map(encodeURIComponent).join('/') }, text)
}

/** The element with `id`, which the page or a view is known to hold. */
export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`no element #${id}`)
  return element as T
}

/** A labelled text input with a slot for its error (form-errors.ts fills it), in one wrapper. */
export interface Field {
  readonly wrapper: HTMLDivElement
  readonly input: HTMLInputElement
}

/**
 * A form field: `<label for>`, the input, an optional hint and an empty error line, tied together with
 * aria-describedby so that a screen reader reads the hint and the error with the input.
 * @param name the API's name of the field, for its 422 `errors`
 */
export function field (id: string, name: string, label: string, attrs: Attrs = {}, hint?: string): Field {
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const input = h('input', { type: 'text', id, name, autocomplete: 'off', spellcheck: 'false', ...attrs, 'aria-describedby': hint === undefined ? errorId : `${hintId} ${errorId}` })
  const wrapper = h('div', { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    input,
    hint !== undefined && h('p', { class: 'hint', id: hintId }, hint),
    h('p', { class: 'field-error', id: errorId }),
  )
  return { wrapper, input }
}

/** Put the focus on a container's heading (its first h1 or h2), so that after a change of view a
 * keyboard user goes on from the new view and a screen reader reads its name. */
export function focusHeading (container: HTMLElement): void {
  const heading = container.querySelector<HTMLElement>('h1, h2')
  if (heading === null) return
  // Focusable from script only: not a stop of the Tab order.
  heading.tabIndex = -1
  heading.focus()
}
