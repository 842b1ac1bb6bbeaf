// One feature: its state (global, active, schedule, rollout, the locations holding it) and the
// editors of its schedule and rollout. A name that is not known yet can be given a schedule or a
// rollout here, which makes it known.

import { adminPath, call } from './api.js'
import { h, link } from './dom.js'
import { rolloutText, scheduleText } from './format.js'
import { rolloutForm } from './rollout-form.js'
import { scheduleForm } from './schedule-form.js'
import type { FeatureList, FeatureState } from './types.js'

async function stateOf (name: string): Promise<FeatureState | undefined> {
  const list = await call<FeatureList>('GET', adminPath('features'))
  return list.features.find((f) => f.name === name)
}

function summaryOf (state: FeatureState | undefined): Node[] {
  if (state === undefined) return [h('p', {}, 'Not known yet: it is in no set and has no schedule or rollout.')]
  const yes = (on: boolean): string => on ? 'yes' : 'no'
  const places = state.locations.flatMap((place, i) => [i > 0 ? ', ' : '', link(place, 'locations', place)])
  const pairs: readonly (readonly [string, ...(Node | string)[]])[] = [
    ['Global', yes(state.global)],
    ['Active', yes(state.active)],
    ['Schedule', scheduleText(state.schedule)],
    ['Rollout', rolloutText(state.rollout)],
    ['Locations', ...(places.length === 0 ? ['-'] : places)],
  ]
  return [h('dl', { class: 'summary' }, ...pairs.flatMap(([term, ...value]) => [h('dt', {}, term), h('dd', {}, ...value)]))]
}

/** Render feature `name`'s screen into `root`. */
export async function featureView (root: HTMLElement, name: string): Promise<void> {
  const summary = h('div', { id: 'feature-state' })
  root.append(h('h1', {}, name), h('p', {}, link('All features', 'features')), summary)
  const state = await stateOf(name)
  summary.replaceChildren(...summaryOf(state))
  const refresh = async (): Promise<void> => { summary.replaceChildren(...summaryOf(await stateOf(name))) }
  root.append(
    h('h2', {}, 'Schedule'),
    h('p', {}, 'Outside its schedule a feature is off for everyone, whatever else switches it on.'),
    scheduleForm(name, state?.schedule ?? null, refresh),
    h('h2', {}, 'Rollout'),
    rolloutForm(name, state?.rollout ?? null, refresh),
  )
}
