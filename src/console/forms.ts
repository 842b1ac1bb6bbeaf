// The console's forms: submitted by script only (the CSP's form-action 'none' forbids the browser's
// own submission, and the API wants JSON), one call at a time, and when the API refuses one, its
// message in the alert line and on 422 each field's own message next to that field (dom.ts field()
// marks each wrapper with the API's name of the field). A message for a field the form does not show
// (a schedule's "give at least one field") goes to the form's own error line.

import { ApiError } from './api.js'
import { h, type Child } from './dom.js'
import { clearMessages, fail } from './messages.js'

/**
 * A form with an accessible name; `submit` gets the button that submitted it (a form may have two).
 * While a call runs the form is busy: a second press does not send it again.
 */
export function form (label: string, submit: (submitter: HTMLElement | null) => Promise<void>, ...children: readonly Child[]): HTMLFormElement {
  const element = h('form', { 'aria-label': label, novalidate: true }, ...children, h('p', { class: 'form-error' }))
  let busy = false
  element.addEventListener('submit', (event) => {
    // Always, and first: a submission that reached the browser would be blocked by the CSP.
    event.preventDefault()
    if (busy) return
    busy = true
    element.setAttribute('aria-busy', 'true')
    clearFormErrors(element)
    clearMessages()
    submit(event.submitter)
      .catch((err: unknown) => showFormErrors(element, err))
      .finally(() => {
        busy = false
        element.removeAttribute('aria-busy')
      })
  })
  return element
}

/** Remove the marks of an earlier refusal. */
export function clearFormErrors (form: HTMLFormElement): void {
  for (const line of form.querySelectorAll('.field-error, .form-error')) line.textContent = ''
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid')
}

/** Show why the API refused the form, and put the focus on the first field it named. */
export function showFormErrors (form: HTMLFormElement, err: unknown): void {
  clearFormErrors(form)
  fail(err)
  if (!(err instanceof ApiError)) return
  const elsewhere: string[] = []
  let first: HTMLElement | undefined
  for (const [name, message] of Object.entries(err.errors)) {
    const wrapper = Array.from(form.querySelectorAll<HTMLElement>('[data-field]')).find((w) => w.dataset.field === name)
    const input = wrapper?.querySelector<HTMLElement>('input, select') ?? null
    const line = wrapper?.querySelector('.field-error') ?? null
    if (input === null || line === null) {
      elsewhere.push(`${name}: ${message}`)
      continue
    }
    line.textContent = message
    input.setAttribute('aria-invalid', 'true')
    first ??= input
  }
  const formLine = form.querySelector('.form-error') as HTMLElement
  formLine.textContent = elsewhere.join('; ')
  first?.focus()
}
