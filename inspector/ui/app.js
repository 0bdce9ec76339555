/**
 * The inspector's browser side: reads the statechart from /api/machine, lays it out with elkjs,
 * follows the frames the server relays on /viewer, and shows one connection at a time with its
 * history. Plain ES module, no build step; everything it loads comes from the inspector server.
 *
 * Frames arrive already redacted. Nothing here ever renders a frame as HTML without escaping it.
 */

// Injected by index.html, this module may run before the body is parsed.
if (document.readyState === 'loading') await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));

const PHASES = ['unknown', 'pending', 'awaitingUser', 'syncable', 'blocked', 'deleted'];
const ROOT = '(machine)';
const ROW_HEIGHT = 56;
const LOG_PAGE = 400;
const TOKEN = new URLSearchParams(location.search).get('token');
const QUERY = TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : '';

/* ------------------------------------------------------------------------------------------------
 * Small DOM helpers
 * --------------------------------------------------------------------------------------------- */

const SVG_NS = 'http://www.w3.org/2000/svg';
const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element; `props` sets attributes (`class`, `data-*`, …) and `on*` listeners. */
function el(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

function svg(tag, props = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(node, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

function clockTime(ms, withMs = false) {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

function isoTime(ms) {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

function plural(n, word, many = `${word}s`) {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/* ------------------------------------------------------------------------------------------------
 * State values
 * --------------------------------------------------------------------------------------------- */

/** `{ pending: 'waiting' }` → `pending.waiting` (parallel regions joined with `, `). */
function dotted(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([key, child]) => {
      const rest = dotted(child);
      return rest ? `${key}.${rest}` : key;
    })
    .join(', ');
}

/** Every active state path of a value: `{a: 'b'}` → `['a', 'a.b']`. */
function activePaths(value, prefix = '') {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...activePaths(child, path)];
  });
}

/** Deepest active paths (the leaves of the configuration). */
function leafPaths(value) {
  const paths = activePaths(value);
  return paths.filter((path) => !paths.some((other) => other.startsWith(`${path}.`)));
}

/** A readable event name: `xstate.after.nextCheck.connection.pending.waiting` → `after nextCheck`. */
function eventLabel(type) {
  if (typeof type !== 'string') return '(unknown)';
  const after = /^xstate\.after\.([^.]+)\./.exec(type);
  if (after) return `after ${after[1]}`;
  if (type === 'xstate.init') return 'init';
  return type;
}

function eventKind(type) {
  if (typeof type !== 'string') return 'other';
  if (type.startsWith('xstate.after.')) return 'timer';
  if (type.startsWith('xstate.')) return 'internal';
  return type.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/* ------------------------------------------------------------------------------------------------
 * The store: frames folded into sessions (one per inspected root actor) and steps (one per event)
 * --------------------------------------------------------------------------------------------- */

const store = {
  machine: null,
  sessions: new Map(),
  latestByName: new Map(),
  frameCount: 0,
  retired: 0,
  version: 0,
  // Fleet-wide: the latest state changes (bounded) and how many effects of each type were emitted.
  changes: [],
  changeCount: 0,
  effectTotals: new Map(),
  // The latest machine time any connection reported: "now" for the fleet.
  now: 0,
};
const MAX_CHANGES = 400;

/** The machine's own time for a snapshot (its context clock: simulated or accelerated clocks differ from arrival). */
function machineTime(context, fallback) {
  const clock = context && typeof context === 'object' ? context.clock : undefined;
  return typeof clock === 'number' && Number.isFinite(clock) ? clock : fallback;
}

function itemIdOf(actorId) {
  const match = /^connection:(.+)$/.exec(actorId ?? '');
  return match ? match[1] : undefined;
}

function createSession(key, frame) {
  const session = {
    key,
    origin: frame.origin,
    rootId: frame.rootId,
    actorId: undefined,
    machineId: undefined,
    itemId: undefined,
    hasActor: false,
    steps: [],
    effects: [],
    initial: null,
    value: undefined,
    context: undefined,
    status: 'active',
    stateText: '',
    phase: 'unknown',
    firstAt: frame.at,
    changedAt: frame.at,
    lastAt: frame.at,
    version: 0,
    childFrames: 0,
    superseded: false,
  };
  store.sessions.set(key, session);
  return session;
}

/** A root actor announced again under a known key (a restarted process reuses `x:0`): keep the old one apart. */
function retire(session) {
  store.sessions.delete(session.key);
  const name = `${session.origin}|${displayName(session)}`;
  session.key = `${session.key}#${++store.retired}`;
  store.sessions.set(session.key, session);
  if (store.latestByName.get(name) === session.key.replace(/#\d+$/, '')) store.latestByName.set(name, session.key);
  if (ui.selectedKey === session.key.replace(/#\d+$/, '')) ui.selectedKey = session.key;
}

function knownMachine(session) {
  return Boolean(store.machine && session.machineId === store.machine.id);
}

function displayName(session) {
  return session.itemId ?? session.actorId ?? session.rootId;
}

function phaseOf(session, text) {
  if (!knownMachine(session) && session.origin !== 'pluggy-lifecycle') return 'other';
  const top = (text || '').split('.')[0];
  return PHASES.includes(top) ? top : 'other';
}

function setState(session, value, context, status, at) {
  const text = dotted(value);
  if (Number.isFinite(at)) store.now = Math.max(store.now, at);
  if (text !== session.stateText) {
    if (session.stateText && session.steps.length > 0) {
      store.changes.push({ session, step: session.steps.length - 1, at, from: session.stateText, to: text });
      store.changeCount++;
      if (store.changes.length > MAX_CHANGES) store.changes.splice(0, store.changes.length - MAX_CHANGES);
    }
    session.stateText = text;
    session.changedAt = at;
  }
  session.value = value;
  session.context = context;
  if (typeof status === 'string') session.status = status;
  const contextItem = context && typeof context === 'object' ? context.itemId : undefined;
  if (typeof contextItem === 'string' && contextItem) session.itemId = contextItem;
  session.phase = phaseOf(session, text);
}

function newStep(session, frame, synthetic = false) {
  const step = {
    index: session.steps.length,
    seq: frame.seq,
    at: frame.at,
    event: frame.event ?? { type: '(unknown)' },
    sourceId: frame.sourceId,
    synthetic,
    transitions: [],
    actions: [],
    effects: [],
    snapshot: null,
    search: null,
  };
  session.steps.push(step);
  return step;
}

function currentStep(session, frame) {
  return session.steps[session.steps.length - 1] ?? newStep(session, frame, true);
}

function applyFrame(frame) {
  if (!frame || typeof frame !== 'object' || typeof frame.rootId !== 'string') return;
  store.frameCount++;
  const key = `${frame.origin}|${frame.rootId}`;
  const isRoot = frame.sessionId === frame.rootId;
  let session = store.sessions.get(key);
  if (session && isRoot && frame.kind === 'actor' && (session.hasActor || session.steps.length > 0)) {
    retire(session);
    session = undefined;
  }
  session ??= createSession(key, frame);
  session.lastAt = Math.max(session.lastAt, frame.at || 0);
  session.version++;
  if (!isRoot) {
    // Child actors (none in the connection machine) are counted, not charted.
    session.childFrames++;
    return;
  }
  switch (frame.kind) {
    case 'actor': {
      session.hasActor = true;
      session.actorId = frame.actorId;
      session.machineId = frame.machineId ?? session.machineId;
      session.itemId = itemIdOf(frame.actorId) ?? session.itemId;
      // A connection created again for the same item (e.g. restored from a save) replaces the earlier actor.
      const name = `${session.origin}|${displayName(session)}`;
      const earlier = store.sessions.get(store.latestByName.get(name));
      if (earlier && earlier !== session) {
        earlier.superseded = true;
        earlier.version++;
      }
      store.latestByName.set(name, session.key);
      if (frame.value !== undefined) {
        session.initial = { value: frame.value, context: frame.context, status: frame.status ?? 'active' };
        setState(session, frame.value, frame.context, frame.status, machineTime(frame.context, frame.at));
      }
      break;
    }
    case 'event':
      newStep(session, frame);
      break;
    case 'microstep': {
      const step = currentStep(session, frame);
      step.transitions.push(...(frame.transitions ?? []));
      step.search = null;
      break;
    }
    case 'action':
      currentStep(session, frame).actions.push(frame.action);
      break;
    case 'effect': {
      const step = currentStep(session, frame);
      step.effects.push(frame.effect);
      step.search = null;
      session.effects.push({ effect: frame.effect, step: step.index, at: frame.at, seq: frame.seq });
      store.effectTotals.set(frame.effect.type, (store.effectTotals.get(frame.effect.type) ?? 0) + 1);
      break;
    }
    case 'snapshot': {
      let step = currentStep(session, frame);
      if (step.snapshot) step = newStep(session, frame, true);
      step.snapshot = { value: frame.value, context: frame.context, status: frame.status ?? 'active' };
      step.search = null;
      setState(session, frame.value, frame.context, frame.status, machineTime(frame.context, frame.at));
      break;
    }
    default:
      break;
  }
}

function resetStore() {
  store.sessions.clear();
  store.latestByName.clear();
  store.changes = [];
  store.changeCount = 0;
  store.now = 0;
  store.effectTotals.clear();
  store.frameCount = 0;
  store.retired = 0;
}

/** The snapshot in force after step `index` (and the step it came from). */
function snapshotAt(session, index) {
  for (let i = Math.min(index, session.steps.length - 1); i >= 0; i--) {
    const snapshot = session.steps[i].snapshot;
    if (snapshot) return { snapshot, index: i };
  }
  // @statelyai/inspect reads the actor frame's snapshot lazily (it can be later than the start):
  // it stands in only while no snapshot frame has arrived.
  const onlyActor = session.initial && !session.steps.some((step) => step.snapshot);
  return onlyActor ? { snapshot: session.initial, index: -1 } : { snapshot: null, index: -1 };
}

/** The machine's own notion of time for a step: the context clock, else the event's stamp, else arrival. */
function stepTime(session, index) {
  const step = session.steps[index];
  if (!step) return NaN;
  const clock = step.snapshot?.context?.clock;
  if (typeof clock === 'number' && Number.isFinite(clock)) return clock;
  if (typeof step.event?.at === 'number') return step.event.at;
  return step.at;
}

function timeTitle(session, step) {
  const machine = stepTime(session, step.index);
  return machine === step.at ? isoTime(machine) : `machine time ${isoTime(machine)}\nreceived ${isoTime(step.at)}`;
}

/** The transitions a step took, as the machine describes them (guard, targets, effects, description). */
function describedTransitions(step) {
  if (!store.machine) return [];
  return step.transitions.map((t) => store.machine.transitions.find((d) => d.key === t.key)).filter(Boolean);
}

/** Why an event left the state as it was: the guard of the transition taken, or that none was. */
function quietNote(step) {
  if (!step.snapshot || step.event?.type === 'xstate.init') return null;
  const described = describedTransitions(step);
  if (described.length === 0) return step.transitions.length === 0 ? { text: 'no transition: ignored', ignored: true, title: 'No transition of the machine handles this event here.' } : null;
  const main = described[described.length - 1];
  if (!main.guard) return null;
  const ignored = main.targets.length === 0 && main.actions.length === 0;
  return { text: `${ignored ? 'ignored: ' : ''}${compactGuard(main.guard)}`, ignored, title: main.description };
}

function stepSearchText(session, step) {
  if (step.search === null) {
    const before = snapshotAt(session, step.index - 1).snapshot;
    step.search = [
      step.event?.type,
      eventLabel(step.event?.type),
      JSON.stringify(step.event),
      dotted(before?.value),
      dotted(step.snapshot?.value),
      ...step.transitions.map((t) => t.key),
      ...describedTransitions(step).map((d) => d.guard ?? ''),
      ...step.effects.map((effect) => JSON.stringify(effect)),
    ]
      .join('\n')
      .toLowerCase();
  }
  return step.search;
}

/* ------------------------------------------------------------------------------------------------
 * UI state
 * --------------------------------------------------------------------------------------------- */

const ui = {
  selectedKey: null,
  live: true,
  cursor: 0,
  search: '',
  phaseFilter: null,
  // A state path clicked in the fleet overview: the list shows the connections in it.
  stateFilter: null,
  sort: 'recent',
  logFilter: '',
  logLimit: LOG_PAGE,
  expanded: new Set(),
  tab: 'snapshot',
  changesOnly: false,
  selectedEffect: null,
  socket: 'connecting',
};

let visible = [];
let renderQueued = false;
const dirty = { list: true, detail: true };

function scheduleRender(parts = { list: true, detail: true }) {
  if (parts.list) dirty.list = true;
  if (parts.detail) dirty.detail = true;
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (dirty.list) {
      dirty.list = false;
      renderList();
    }
    if (dirty.detail) {
      dirty.detail = false;
      renderDetail();
    }
    renderTopbar();
  });
}

function selectedSession() {
  return ui.selectedKey ? store.sessions.get(ui.selectedKey) : undefined;
}

function cursorIndex(session) {
  if (!session || session.steps.length === 0) return -1;
  return ui.live ? session.steps.length - 1 : Math.min(ui.cursor, session.steps.length - 1);
}

function setStateFilter(path) {
  ui.stateFilter = path;
  listEl.scrollTop = 0;
  scheduleRender();
}

function select(key) {
  if (ui.selectedKey === key) return;
  if (key === null) {
    ui.selectedKey = null;
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    chart.focusSignature = '';
    scheduleRender();
    return;
  }
  ui.selectedKey = key;
  ui.live = true;
  ui.cursor = 0;
  ui.expanded.clear();
  ui.logLimit = LOG_PAGE;
  ui.selectedEffect = null;
  const session = store.sessions.get(key);
  if (session) history.replaceState(null, '', `${location.pathname}${location.search}#item=${encodeURIComponent(displayName(session))}`);
  lastLogSignature = '';
  scheduleRender();
}

function scrubTo(index) {
  const session = selectedSession();
  if (!session || session.steps.length === 0) return;
  const clamped = Math.max(0, Math.min(index, session.steps.length - 1));
  ui.live = false;
  ui.cursor = clamped;
  scheduleRender({ detail: true });
}

function goLive() {
  ui.live = true;
  scheduleRender({ detail: true });
}

/* ------------------------------------------------------------------------------------------------
 * Top bar
 * --------------------------------------------------------------------------------------------- */

function renderTopbar() {
  $('[data-testid="frame-count"]').textContent = plural(store.frameCount, 'frame');
  const status = $('[data-testid="ws-status"]');
  status.dataset.status = ui.socket;
  status.querySelector('.ws-label').textContent =
    ui.socket === 'open' ? 'connected' : ui.socket === 'connecting' ? 'connecting…' : 'disconnected, retrying…';
}

/* ------------------------------------------------------------------------------------------------
 * Sidebar: the connection list (virtualized)
 * --------------------------------------------------------------------------------------------- */

const listEl = $('[data-testid="connection-list"]');
const spacerEl = $('.list-spacer', listEl);
const rowPool = [];

function computeVisible() {
  const needle = ui.search.trim().toLowerCase();
  const all = [...store.sessions.values()];
  const counts = Object.fromEntries([...PHASES, 'other'].map((phase) => [phase, 0]));
  const matching = [];
  for (const session of all) {
    const name = displayName(session).toLowerCase();
    const matches = !needle || name.includes(needle) || (session.actorId ?? '').toLowerCase().includes(needle);
    if (!matches) continue;
    if (ui.stateFilter && !(knownMachine(session) && activePaths(session.value).includes(ui.stateFilter))) continue;
    counts[session.phase] = (counts[session.phase] ?? 0) + 1;
    if (ui.phaseFilter && session.phase !== ui.phaseFilter) continue;
    matching.push(session);
  }
  const byName = (a, b) => Number(a.superseded) - Number(b.superseded) || displayName(a).localeCompare(displayName(b));
  if (ui.sort === 'id') matching.sort(byName);
  else if (ui.sort === 'phase') {
    const order = [...PHASES, 'other'];
    matching.sort((a, b) => order.indexOf(a.phase) - order.indexOf(b.phase) || byName(a, b));
  } else matching.sort((a, b) => Number(a.superseded) - Number(b.superseded) || b.changedAt - a.changedAt || byName(a, b));
  return { matching, counts, total: all.length };
}

function renderList() {
  const { matching, counts, total } = computeVisible();
  visible = matching;

  const countEl = $('[data-testid="connection-count"]');
  countEl.textContent =
    total === 0 ? 'No connections yet' : matching.length === total ? plural(total, 'connection') : `${matching.length.toLocaleString('en-US')} of ${plural(total, 'connection')}`;
  countEl.dataset.count = String(matching.length);
  countEl.dataset.total = String(total);
  renderPhaseSummary(counts);
  const stateFilterEl = $('[data-testid="state-filter"]');
  stateFilterEl.hidden = !ui.stateFilter;
  if (ui.stateFilter) {
    stateFilterEl.dataset.state = ui.stateFilter;
    stateFilterEl.replaceChildren(
      el('span', {}, 'in state '),
      el('code', { class: `ph-${phaseOfPath(ui.stateFilter)}` }, ui.stateFilter),
      el('button', { type: 'button', class: 'chip-x', title: 'Show every state (Esc)', 'data-testid': 'state-filter-clear', onclick: () => setStateFilter(null) }, '×'),
    );
  }

  spacerEl.style.height = `${matching.length * ROW_HEIGHT}px`;
  renderRows();
}

function renderPhaseSummary(counts) {
  const bar = $('[data-testid="phase-bar"]');
  const chips = $('[data-testid="phase-filter"]');
  const phases = [...PHASES, 'other'].filter((phase) => phase !== 'other' || counts.other > 0);
  const sum = phases.reduce((n, phase) => n + (counts[phase] ?? 0), 0);
  bar.replaceChildren(
    ...phases
      .filter((phase) => counts[phase] > 0)
      .map((phase) => el('span', { class: `phase-seg ph-${phase}`, style: `flex-grow:${counts[phase]}`, title: `${phase}: ${counts[phase]}` })),
  );
  bar.classList.toggle('empty', sum === 0);
  chips.replaceChildren(
    ...phases.map((phase) =>
      el(
        'button',
        {
          type: 'button',
          class: `phase-chip ph-${phase}${ui.phaseFilter === phase ? ' on' : ''}${counts[phase] ? '' : ' zero'}`,
          'data-testid': `phase-chip-${phase}`,
          'data-count': String(counts[phase] ?? 0),
          'aria-pressed': ui.phaseFilter === phase ? 'true' : 'false',
          title: ui.phaseFilter === phase ? 'Show every phase' : `Show only ${phase}`,
          onclick: () => {
            ui.phaseFilter = ui.phaseFilter === phase ? null : phase;
            scheduleRender({ list: true });
          },
        },
        el('i', { class: 'dot' }),
        phase,
        el('b', {}, String(counts[phase] ?? 0)),
      ),
    ),
  );
}

function renderRows() {
  const height = listEl.clientHeight || 600;
  const first = Math.max(0, Math.floor(listEl.scrollTop / ROW_HEIGHT) - 4);
  const last = Math.min(visible.length, Math.ceil((listEl.scrollTop + height) / ROW_HEIGHT) + 4);
  const needed = Math.max(0, last - first);
  while (rowPool.length < needed) {
    const row = el(
      'div',
      { class: 'row', 'data-testid': 'connection-row', role: 'button', tabindex: '-1' },
      el('div', { class: 'row-line' }, el('span', { class: 'row-name' }), el('span', { class: 'row-time' })),
      el('div', { class: 'row-line' }, el('span', { class: 'row-state' }, el('i', { class: 'dot' }), el('span', { class: 'row-state-text' })), el('span', { class: 'row-badges' })),
    );
    row.addEventListener('click', () => select(row.dataset.key));
    listEl.append(row);
    rowPool.push(row);
  }
  rowPool.forEach((row, slot) => {
    const session = visible[first + slot];
    if (slot >= needed || !session) {
      // A pooled row out of use must not still answer to its last connection's id.
      row.hidden = true;
      delete row.dataset.itemId;
      delete row.dataset.key;
      delete row.dataset.state;
      return;
    }
    row.hidden = false;
    const name = displayName(session);
    row.style.transform = `translateY(${(first + slot) * ROW_HEIGHT}px)`;
    row.dataset.key = session.key;
    row.dataset.itemId = name;
    row.dataset.phase = session.phase;
    row.dataset.state = session.stateText;
    row.className = `row ph-${session.phase}${session.key === ui.selectedKey ? ' selected' : ''}`;
    row.setAttribute('aria-selected', session.key === ui.selectedKey ? 'true' : 'false');
    const [line1, line2] = row.children;
    line1.children[0].textContent = name;
    line1.children[0].title = session.actorId ? `${session.actorId} · root ${session.rootId}` : session.rootId;
    line1.children[1].textContent = clockTime(session.changedAt);
    line1.children[1].title = `State since ${isoTime(session.changedAt)}`;
    line2.children[0].children[1].textContent = session.stateText || '(no snapshot yet)';
    line2.children[0].title = session.stateText;
    const badges = line2.children[1];
    const wanted = [];
    if (session.origin === 'statelyai') wanted.push(['statelyai', 'badge-origin']);
    if (session.superseded) wanted.push(['replaced', 'badge-status']);
    else if (session.status && session.status !== 'active') wanted.push([session.status, 'badge-status']);
    wanted.push([String(session.steps.length), 'badge-steps']);
    if (badges.dataset.sig !== wanted.join('|')) {
      badges.dataset.sig = wanted.join('|');
      badges.replaceChildren(...wanted.map(([text, cls]) => el('span', { class: `badge ${cls}`, title: cls === 'badge-steps' ? `${text} events` : undefined }, text)));
    }
  });
}

listEl.addEventListener('scroll', () => requestAnimationFrame(renderRows), { passive: true });
new ResizeObserver(() => requestAnimationFrame(renderRows)).observe(listEl);

$('[data-testid="search"]').addEventListener('input', (event) => {
  ui.search = event.target.value;
  listEl.scrollTop = 0;
  scheduleRender({ list: true });
});
$('[data-testid="sort"]').addEventListener('change', (event) => {
  ui.sort = event.target.value;
  scheduleRender({ list: true });
});
listEl.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  event.preventDefault();
  const at = visible.findIndex((session) => session.key === ui.selectedKey);
  const next = visible[Math.max(0, Math.min(visible.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)))];
  if (!next) return;
  select(next.key);
  const top = visible.indexOf(next) * ROW_HEIGHT;
  if (top < listEl.scrollTop) listEl.scrollTop = top;
  else if (top + ROW_HEIGHT > listEl.scrollTop + listEl.clientHeight) listEl.scrollTop = top + ROW_HEIGHT - listEl.clientHeight;
});

/* ------------------------------------------------------------------------------------------------
 * The statechart: ELK layout once, then only classes change
 * --------------------------------------------------------------------------------------------- */

const chart = {
  ready: false,
  failed: null,
  svg: $('[data-testid="chart"]'),
  viewport: null,
  width: 0,
  height: 0,
  nodes: new Map(),
  edges: new Map(),
  view: { x: 0, y: 0, k: 1 },
  follow: true,
  focusSignature: '',
  animation: 0,
  // A pan or zoom animation is running (tests take screenshots once the view has settled).
  moving: false,
};

const measureCanvas = document.createElement('canvas').getContext('2d');
const FONT_SANS = '"Segoe UI", Inter, Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif';
const FONT_MONO = 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

function textWidth(text, font) {
  measureCanvas.font = font;
  return measureCanvas.measureText(text).width;
}

/** `snapshot decides(phase: blocked, remedy: reconnect)` → `snapshot decides(blocked, reconnect)`. */
function compactGuard(guard) {
  if (!guard) return '';
  return guard.replace(/\(([^()]*)\)/g, (whole, inner) =>
    inner.includes(':') ? `(${inner.split(',').map((part) => part.split(':').slice(1).join(':').trim()).join(', ')})` : whole,
  );
}

function wrapText(text, max) {
  const words = text.split(' ');
  const lines = [];
  let line = '';
  for (const word of words) {
    if (line && (line + ' ' + word).length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const LABEL_FONT = `500 11px ${FONT_SANS}`;
const GUARD_FONT = `400 11px ${FONT_SANS}`;
const NODE_FONT = `600 13px ${FONT_SANS}`;
const NOTE_FONT = `400 10.5px ${FONT_SANS}`;
const ANY_FONT = `italic 500 11.5px ${FONT_SANS}`;

function anyText(path, states) {
  return path === ROOT ? 'any state' : `any ${states.get(path)?.key ?? path} state`;
}

/** Label lines, each a list of segments: `EVENT [guard]` on one line when it is short enough. */
function edgeLabelLines(transition) {
  const guard = compactGuard(transition.guard);
  const event = { text: transition.event, kind: 'event' };
  if (!guard) return [[event]];
  if (`${transition.event} [${guard}]`.length <= 58) return [[event, { text: ` [${guard}]`, kind: 'guard' }]];
  return [[event], ...wrapText(`[${guard}]`, 40).map((text) => [{ text, kind: 'guard' }])];
}

function lineWidth(line) {
  return line.reduce((sum, part) => sum + textWidth(part.text, part.kind === 'event' ? LABEL_FONT : GUARD_FONT), 0);
}

/** Builds the ELK graph: compound states are nested nodes; transitions declared on a compound state leave from its "any … state" marker. */
function toElkGraph(machine) {
  const states = new Map(machine.states.map((state) => [state.path, state]));
  const childrenOf = new Map();
  for (const state of machine.states) {
    if (state.parent === null) continue;
    if (!childrenOf.has(state.parent)) childrenOf.set(state.parent, []);
    childrenOf.get(state.parent).push(state);
  }
  const shown = machine.transitions.filter((t) => t.targets.length > 0 || t.effects.length > 0);
  const hasKids = (path) => (childrenOf.get(path) ?? []).length > 0;
  // Transitions declared on a compound state leave from an "any … state" marker inside it. The
  // machine's own (many, all phases) get one marker per target phase, so no edge crosses the chart.
  const anyIdOf = (transition) => {
    if (!hasKids(transition.source)) return null;
    const group = transition.source === ROOT ? (transition.targets[0] ?? '').split('.')[0] || 'self' : '';
    return `any:${transition.source}|${group}`;
  };
  const anyBySource = new Map();
  for (const transition of shown) {
    const anyId = anyIdOf(transition);
    if (!anyId) continue;
    if (!anyBySource.has(transition.source)) anyBySource.set(transition.source, new Set());
    anyBySource.get(transition.source).add(anyId);
  }

  const elkNodes = new Map();
  const parentOf = new Map();
  const nodeId = (path) => (path === ROOT ? 'root' : `n:${path}`);

  const register = (node, parentId) => {
    elkNodes.set(node.id, node);
    parentOf.set(node.id, parentId);
    return node;
  };

  const build = (state, parentId) => {
    const id = nodeId(state.path);
    const kids = childrenOf.get(state.path) ?? [];
    if (kids.length === 0 && state.path !== ROOT) {
      const effects = state.entryEffects ?? [];
      const note = effects.length ? `entry / ${effects.join(', ')}` : '';
      const width = Math.max(96, textWidth(state.key, NODE_FONT) + 32, note ? textWidth(note, NOTE_FONT) + 24 : 0);
      return register({ id, width: Math.ceil(width), height: note ? 50 : 36, labels: [] }, parentId);
    }
    const node = register(
      {
        id,
        layoutOptions:
          state.path === ROOT
            ? {}
            : { 'elk.padding': '[top=40,left=16,bottom=16,right=16]', 'elk.nodeSize.constraints': 'MINIMUM_SIZE', 'elk.nodeSize.minimum': `(${Math.ceil(textWidth(state.key, NODE_FONT) + 60)},60)` },
        children: [],
        edges: [],
      },
      parentId,
    );
    if (state.initial) node.children.push(register({ id: `init:${state.path}`, width: 12, height: 12 }, id));
    for (const anyId of anyBySource.get(state.path) ?? []) {
      const text = anyText(state.path, states);
      node.children.push(register({ id: anyId, width: Math.ceil(textWidth(text, ANY_FONT) + 24), height: 24 }, id));
    }
    for (const kid of kids) node.children.push(build(kid, id));
    return node;
  };

  const rootState = machine.states.find((state) => state.parent === null);
  const root = build(rootState, null);
  root.layoutOptions = {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.edgeRouting': 'ORTHOGONAL',
    'elk.layered.spacing.nodeNodeBetweenLayers': '44',
    'elk.layered.spacing.edgeNodeBetweenLayers': '16',
    'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
    'elk.spacing.nodeNode': '22',
    'elk.spacing.edgeNode': '14',
    'elk.spacing.edgeEdge': '10',
    'elk.spacing.edgeLabel': '3',
    'elk.spacing.labelLabel': '2',
    'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.edgeLabels.inline': 'false',
    'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    'elk.json.shapeCoords': 'ROOT',
    'elk.json.edgeCoords': 'ROOT',
  };

  const ancestors = (id) => {
    const chain = [];
    for (let at = parentOf.get(id); at !== undefined && at !== null; at = parentOf.get(at)) chain.push(at);
    return chain;
  };
  const container = (a, b) => {
    const up = ancestors(a);
    const other = new Set([b, ...ancestors(b)]);
    const found = up.find((id) => other.has(id) && id !== b) ?? 'root';
    return elkNodes.get(found) ?? root;
  };
  const addEdge = (edge) => {
    const host = edge.sources[0] === edge.targets[0] ? elkNodes.get(parentOf.get(edge.sources[0])) ?? root : container(edge.sources[0], edge.targets[0]);
    (host.edges ??= []).push(edge);
  };

  for (const state of machine.states) {
    if (state.initial && elkNodes.has(`init:${state.path}`)) {
      addEdge({ id: `init-edge:${state.path}`, sources: [`init:${state.path}`], targets: [nodeId(state.initial)], initial: true });
    }
  }
  const meta = new Map();
  for (const transition of shown) {
    const source = anyIdOf(transition) ?? nodeId(transition.source);
    const targets = transition.targets.length > 0 ? transition.targets.map(nodeId) : [source];
    const lines = edgeLabelLines(transition);
    const width = Math.ceil(Math.max(...lines.map(lineWidth)) + 10);
    targets.forEach((target, i) => {
      const id = targets.length > 1 ? `${transition.key}|${i}` : transition.key;
      meta.set(id, { transition, lines });
      addEdge({ id, sources: [source], targets: [target], labels: [{ id: `label:${id}`, text: lines.map((line) => line.map((part) => part.text).join('')).join('\n'), width, height: lines.length * 14 + 4 }] });
    });
  }
  return { graph: root, meta, states, elkNodes };
}

function roundedPath(points, radius = 7) {
  if (points.length < 2) return '';
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const prev = points[i - 1];
    const at = points[i];
    const next = points[i + 1];
    const inLen = Math.hypot(at.x - prev.x, at.y - prev.y);
    const outLen = Math.hypot(next.x - at.x, next.y - at.y);
    const r = Math.min(radius, inLen / 2, outLen / 2);
    const a = { x: at.x - ((at.x - prev.x) / (inLen || 1)) * r, y: at.y - ((at.y - prev.y) / (inLen || 1)) * r };
    const b = { x: at.x + ((next.x - at.x) / (outLen || 1)) * r, y: at.y + ((next.y - at.y) / (outLen || 1)) * r };
    d += ` L${a.x},${a.y} Q${at.x},${at.y} ${b.x},${b.y}`;
  }
  const end = points[points.length - 1];
  return `${d} L${end.x},${end.y}`;
}

function flatten(node, out = []) {
  out.push(node);
  for (const child of node.children ?? []) flatten(child, out);
  return out;
}

function allEdges(node, out = []) {
  out.push(...(node.edges ?? []));
  for (const child of node.children ?? []) allEdges(child, out);
  return out;
}

async function buildChart(machine) {
  const { graph, meta, states } = toElkGraph(machine);
  // elk.bundled.js is a classic script exposing ELK; it is loaded on demand so the list works without it.
  await loadScript(`/vendor/elk.bundled.js${QUERY}`);
  const elk = new window.ELK();
  let laid;
  try {
    laid = await elk.layout(graph);
  } catch (error) {
    // Retry with the most conservative options (the old Stately viz does the same).
    graph.layoutOptions['elk.layered.considerModelOrder.strategy'] = 'NONE';
    graph.layoutOptions['elk.layered.nodePlacement.strategy'] = 'BRANDES_KOEPF';
    laid = await elk.layout(graph);
  }
  drawChart(laid, meta, states);
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (window.ELK) return resolve();
    const script = el('script', { src });
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

function phaseOfPath(path) {
  const top = path.split('.')[0];
  return PHASES.includes(top) ? top : 'other';
}

function drawChart(laid, meta, states) {
  const root = svg('g', { class: 'viewport' });
  const defs = svg(
    'defs',
    {},
    svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, svg('path', { d: 'M0,1 L9,5 L0,9 z', class: 'arrow' })),
    svg('marker', { id: 'arrow-taken', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '6', markerHeight: '6', orient: 'auto-start-reverse' }, svg('path', { d: 'M0,1 L9,5 L0,9 z', class: 'arrow-taken' })),
    svg('filter', { id: 'glow', x: '-30%', y: '-30%', width: '160%', height: '160%' }, svg('feDropShadow', { dx: '0', dy: '1', stdDeviation: '3', 'flood-opacity': '0.28' })),
  );
  const layers = { compounds: svg('g', { class: 'layer-compounds' }), edges: svg('g', { class: 'layer-edges' }), nodes: svg('g', { class: 'layer-nodes' }), labels: svg('g', { class: 'layer-labels' }) };

  chart.nodes.clear();
  chart.edges.clear();
  const nodes = flatten(laid).filter((node) => node.id !== 'root');
  // Outer boxes first so inner ones paint on top.
  nodes.sort((a, b) => (a.id.split('.').length - b.id.split('.').length));
  for (const node of nodes) {
    const kind = node.id.slice(0, node.id.indexOf(':'));
    let path = node.id.slice(node.id.indexOf(':') + 1);
    if (kind === 'init') {
      layers.nodes.append(svg('circle', { class: 'initial', cx: node.x + node.width / 2, cy: node.y + node.height / 2, r: 5 }));
      continue;
    }
    if (kind === 'any') {
      path = path.slice(0, path.indexOf('|'));
      const text = anyText(path, states);
      layers.nodes.append(
        svg(
          'g',
          { class: `any ${path === ROOT ? 'any-root' : `ph-${phaseOfPath(path)}`}`, 'data-any-of': path },
          svg('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: 13 }),
          svg('text', { x: node.x + node.width / 2, y: node.y + node.height / 2 + 4, 'text-anchor': 'middle' }, text),
          svg('title', {}, `Transitions declared on ${path === ROOT ? 'the machine' : path}: they apply in every state inside it.`),
        ),
      );
      continue;
    }
    const state = states.get(path);
    if (!state) continue;
    const phase = phaseOfPath(path);
    const compound = (node.children ?? []).length > 0;
    const group = svg('g', {
      class: `state ${compound ? 'compound' : 'atomic'} ${state.type === 'final' ? 'final' : ''} ph-${phase}`,
      'data-testid': 'state-node',
      'data-state-path': path,
      'data-active': 'false',
    });
    group.append(svg('title', {}, `${path}${state.description ? `\n${state.description}` : ''}`));
    if (compound) {
      group.append(
        svg('rect', { class: 'box', x: node.x, y: node.y, width: node.width, height: node.height, rx: 12 }),
        svg('text', { class: 'compound-label', x: node.x + 14, y: node.y + 23 }, state.key),
      );
      if (state.entryEffects?.length) {
        group.append(svg('text', { class: 'compound-note', x: node.x + node.width - 12, y: node.y + 22, 'text-anchor': 'end' }, `entry / ${state.entryEffects.join(', ')}`));
      }
      layers.compounds.append(group);
    } else {
      const note = state.entryEffects?.length ? `entry / ${state.entryEffects.join(', ')}` : '';
      group.append(svg('rect', { class: 'box', x: node.x, y: node.y, width: node.width, height: node.height, rx: 9 }));
      if (state.type === 'final') group.append(svg('rect', { class: 'final-ring', x: node.x + 3.5, y: node.y + 3.5, width: node.width - 7, height: node.height - 7, rx: 6 }));
      group.append(svg('text', { class: 'node-label', x: node.x + node.width / 2, y: node.y + (note ? 21 : node.height / 2 + 4.5), 'text-anchor': 'middle' }, state.key));
      if (note) group.append(svg('text', { class: 'node-note', x: node.x + node.width / 2, y: node.y + 38, 'text-anchor': 'middle' }, note));
      layers.nodes.append(group);
    }
    chart.nodes.set(path, group);
  }

  for (const edge of allEdges(laid)) {
    const section = edge.sections?.[0];
    if (!section) continue;
    const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
    if (edge.initial) {
      layers.edges.append(svg('path', { class: 'edge initial-edge', d: roundedPath(points), 'marker-end': 'url(#arrow)' }));
      continue;
    }
    const info = meta.get(edge.id);
    const transition = info.transition;
    const title = [
      transition.key,
      `${transition.event}${transition.guard ? ` [${transition.guard}]` : ''} → ${transition.targets.join(', ') || '(stays)'}`,
      transition.effects.length ? `effects: ${transition.effects.join(', ')}` : '',
      transition.description,
    ]
      .filter(Boolean)
      .join('\n');
    const group = svg(
      'g',
      { class: 'edge', 'data-testid': 'transition', 'data-transition-key': transition.key, 'data-highlighted': 'false' },
      svg('path', { class: 'edge-hit', d: roundedPath(points) }),
      svg('path', { class: 'edge-line', d: roundedPath(points), 'marker-end': 'url(#arrow)' }),
      svg('title', {}, title),
    );
    layers.edges.append(group);
    const label = edge.labels?.[0];
    let labelGroup = null;
    if (label) {
      labelGroup = svg('g', { class: 'edge-label', 'data-transition-key': transition.key });
      labelGroup.append(svg('rect', { x: label.x - 1, y: label.y, width: label.width + 2, height: label.height, rx: 4 }));
      info.lines.forEach((line, i) => {
        labelGroup.append(
          svg('text', { x: label.x + label.width / 2, y: label.y + 13 + i * 14, 'text-anchor': 'middle' }, ...line.map((part) => svg('tspan', { class: part.kind }, part.text))),
        );
      });
      labelGroup.append(svg('title', {}, title));
      layers.labels.append(labelGroup);
    }
    const list = chart.edges.get(transition.key) ?? [];
    list.push({ group, label: labelGroup });
    chart.edges.set(transition.key, list);
  }

  root.append(layers.compounds, layers.edges, layers.nodes, layers.labels);
  chart.svg.replaceChildren(defs, root);
  chart.viewport = root;
  chart.width = laid.width;
  chart.height = laid.height;
  chart.ready = true;
  chart.view = viewFor({ x: 0, y: 0, width: chart.width, height: chart.height });
  applyView();
}

function applyView() {
  if (!chart.viewport) return;
  const { x, y, k } = chart.view;
  chart.viewport.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${k.toFixed(4)})`);
}

const CAPTION_ROOM = 40;

/** The view that shows `box` (chart coordinates) centred in the visible area, at most at `maxK`. */
function viewFor(box, maxK = 1.25) {
  const area = chart.svg.getBoundingClientRect();
  const width = area.width - 32;
  const height = area.height - CAPTION_ROOM - 40;
  const k = Math.max(0.1, Math.min(width / box.width, height / box.height, maxK));
  return { k, x: (area.width - box.width * k) / 2 - box.x * k, y: CAPTION_ROOM + (area.height - CAPTION_ROOM - 24 - box.height * k) / 2 - box.y * k };
}

function animateTo(target) {
  cancelAnimationFrame(chart.animation);
  chart.moving = true;
  const from = { ...chart.view };
  const start = performance.now();
  const tick = (now) => {
    const t = Math.min(1, (now - start) / 260);
    const e = 1 - (1 - t) ** 3;
    chart.view = { k: from.k + (target.k - from.k) * e, x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e };
    applyView();
    if (t < 1) chart.animation = requestAnimationFrame(tick);
    else chart.moving = false;
  };
  chart.animation = requestAnimationFrame(tick);
}

function setFollow(on) {
  chart.follow = on;
  const button = $('[data-testid="zoom-follow"]');
  button.setAttribute('aria-pressed', on ? 'true' : 'false');
  button.classList.toggle('on', on);
}

function fitChart() {
  const area = chart.svg.getBoundingClientRect();
  if (!chart.ready || area.width < 10 || area.height < 10) return;
  setFollow(false);
  animateTo(viewFor({ x: 0, y: 0, width: chart.width, height: chart.height }));
}

function union(boxes) {
  const list = boxes.filter((box) => box && box.width > 0 && box.height > 0);
  if (list.length === 0) return null;
  const x = Math.min(...list.map((b) => b.x));
  const y = Math.min(...list.map((b) => b.y));
  return { x, y, width: Math.max(...list.map((b) => b.x + b.width)) - x, height: Math.max(...list.map((b) => b.y + b.height)) - y };
}

function padBox(box, by) {
  return { x: box.x - by, y: box.y - by, width: box.width + 2 * by, height: box.height + 2 * by };
}

/**
 * Follow mode: frame the active phase and the transition just taken, legible; fall back to the
 * whole chart when it fits at a readable scale anyway.
 */
function focusChart(force = false) {
  if (!chart.ready || !chart.follow) return;
  const area = chart.svg.getBoundingClientRect();
  if (area.width < 10 || area.height < 10) return;
  const whole = { x: 0, y: 0, width: chart.width, height: chart.height };
  const leaves = [...chart.nodes.entries()].filter(([, group]) => group.classList.contains('is-leaf'));
  const signature = `${leaves.map(([path]) => path).join(',')}|${[...chart.svg.querySelectorAll('.edge.taken')].map((e) => e.dataset.transitionKey).join(',')}|${Math.round(area.width)}x${Math.round(area.height)}`;
  if (!force && signature === chart.focusSignature) return;
  chart.focusSignature = signature;
  if (viewFor(whole).k >= 0.8 || leaves.length === 0) {
    animateTo(viewFor(whole));
    return;
  }
  const phaseBoxes = leaves.map(([path]) => chart.nodes.get(path.split('.')[0])?.querySelector('.box')?.getBBox());
  const takenBoxes = [...chart.svg.querySelectorAll('.edge.taken .edge-line, .edge-label.taken')].map((node) => node.getBBox());
  const wide = union([...phaseBoxes, ...takenBoxes]);
  const narrow = union(phaseBoxes);
  const pick = wide && viewFor(padBox(wide, 24), 1.1).k >= 0.75 ? wide : narrow ?? whole;
  animateTo(viewFor(padBox(pick, 24), 1.1));
}

function zoomAt(factor, cx, cy) {
  cancelAnimationFrame(chart.animation);
  const { x, y, k } = chart.view;
  const next = Math.max(0.1, Math.min(4, k * factor));
  const ratio = next / k;
  chart.view = { k: next, x: cx - (cx - x) * ratio, y: cy - (cy - y) * ratio };
  setFollow(false);
  applyView();
}

chart.svg.addEventListener(
  'wheel',
  (event) => {
    event.preventDefault();
    const box = chart.svg.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
  },
  { passive: false },
);
chart.svg.addEventListener('pointerdown', (event) => {
  if (event.button !== 0) return;
  const start = { x: event.clientX, y: event.clientY, vx: chart.view.x, vy: chart.view.y };
  chart.svg.setPointerCapture(event.pointerId);
  chart.svg.classList.add('panning');
  let moved = false;
  const move = (e) => {
    if (!moved && Math.hypot(e.clientX - start.x, e.clientY - start.y) < 3) return;
    if (!moved) {
      moved = true;
      cancelAnimationFrame(chart.animation);
      setFollow(false);
    }
    chart.view = { ...chart.view, x: start.vx + e.clientX - start.x, y: start.vy + e.clientY - start.y };
    applyView();
  };
  const up = () => {
    chart.svg.classList.remove('panning');
    chart.svg.removeEventListener('pointermove', move);
    chart.svg.removeEventListener('pointerup', up);
    chart.svg.removeEventListener('pointercancel', up);
  };
  chart.svg.addEventListener('pointermove', move);
  chart.svg.addEventListener('pointerup', up);
  chart.svg.addEventListener('pointercancel', up);
});
chart.svg.addEventListener('dblclick', fitChart);
$('[data-testid="zoom-fit"]').addEventListener('click', fitChart);
$('[data-testid="zoom-in"]').addEventListener('click', () => {
  const box = chart.svg.getBoundingClientRect();
  zoomAt(1.25, box.width / 2, box.height / 2);
});
$('[data-testid="zoom-out"]').addEventListener('click', () => {
  const box = chart.svg.getBoundingClientRect();
  zoomAt(0.8, box.width / 2, box.height / 2);
});
$('[data-testid="zoom-follow"]').addEventListener('click', () => {
  setFollow(!chart.follow);
  focusChart(true);
});
new ResizeObserver(() => focusChart()).observe(chart.svg);

/** Marks the active configuration and the transitions just taken. */
function highlightChart(value, transitionKeys) {
  const active = new Set(activePaths(value));
  const leaves = new Set(leafPaths(value));
  for (const [path, group] of chart.nodes) {
    const on = active.has(path);
    const leaf = leaves.has(path);
    group.dataset.active = on ? 'true' : 'false';
    group.classList.toggle('is-active', on);
    group.classList.toggle('is-leaf', leaf);
    if (leaf) group.setAttribute('data-testid', 'active-state');
    else group.setAttribute('data-testid', 'state-node');
  }
  const taken = new Set(transitionKeys);
  for (const [key, list] of chart.edges) {
    const on = taken.has(key);
    for (const { group, label } of list) {
      group.dataset.highlighted = on ? 'true' : 'false';
      group.setAttribute('data-testid', on ? 'highlighted-transition' : 'transition');
      group.classList.toggle('taken', on);
      group.querySelector('.edge-line').setAttribute('marker-end', on ? 'url(#arrow-taken)' : 'url(#arrow)');
      label?.classList.toggle('taken', on);
      if (on) {
        group.parentNode.append(group);
        label?.parentNode.append(label);
      }
    }
  }
  // "any X state" markers light up when X is active: their transitions apply now.
  chart.svg.querySelectorAll('[data-any-of]').forEach((node) => {
    const of = node.getAttribute('data-any-of');
    node.classList.toggle('is-active', of === ROOT || active.has(of));
  });
}

/* ------------------------------------------------------------------------------------------------
 * Detail: header, scrubber, chart caption
 * --------------------------------------------------------------------------------------------- */

const detailEl = $('[data-testid="detail"]');
const emptyEl = $('[data-testid="empty-state"]');
const scrubber = $('[data-testid="scrubber"]');

let rendered = null;

function statePill(target, text, phase) {
  target.textContent = text || '(none)';
  target.className = `state-pill ph-${phase}`;
}

function renderDetail() {
  const session = selectedSession();
  if (!session) {
    rendered = null;
    // The overview needs the machine's states, not the chart's layout.
    if (store.sessions.size > 0 && store.machine) {
      renderOverview();
      return;
    }
    detailEl.hidden = true;
    emptyEl.hidden = false;
    return;
  }
  detailEl.hidden = false;
  emptyEl.hidden = true;
  detailEl.classList.remove('overview');
  $('[data-testid="state-board"]').hidden = true;
  const index = cursorIndex(session);
  const step = session.steps[index];
  const { snapshot, index: snapshotIndex } = snapshotAt(session, index);
  const previous = snapshotIndex >= 0 ? snapshotAt(session, snapshotIndex - 1) : { snapshot: null, index: -1 };
  const value = snapshot?.value;
  const stateText = dotted(value);
  const phase = phaseOf(session, stateText);
  const name = displayName(session);

  // Header
  $('[data-testid="detail-item-id"]').textContent = name;
  $('[data-testid="detail-item-id"]').title = session.actorId ?? '';
  // The header tells where the connection is now; chart and panels show the event scrubbed to.
  statePill($('[data-testid="detail-state"]'), session.stateText, session.phase);
  $('[data-testid="detail-state"]').title = ui.live ? 'Current state' : 'Current state (the chart shows an earlier event)';
  $('.detail-now').hidden = ui.live;
  const statusEl = $('[data-testid="detail-status"]');
  const status = snapshot?.status ?? session.status;
  statusEl.textContent = status === 'active' ? '' : status;
  statusEl.hidden = status === 'active';
  $('[data-testid="detail-meta"]').replaceChildren(
    metaItem('machine', session.machineId ?? 'unknown'),
    metaItem('actor', session.actorId ?? session.rootId),
    metaItem('source', session.origin === 'statelyai' ? '@statelyai/inspect' : 'pluggy-lifecycle'),
    metaItem('events', String(session.steps.length)),
    metaItem('in this state since', clockTime(session.changedAt, true)),
  );

  // Scrubber
  const max = Math.max(0, session.steps.length - 1);
  scrubber.max = String(max);
  scrubber.value = String(Math.max(0, index));
  scrubber.disabled = session.steps.length === 0;
  scrubber.style.setProperty('--fill', `${max === 0 ? 100 : (Math.max(0, index) / max) * 100}%`);
  const live = $('[data-testid="live-button"]');
  live.dataset.live = ui.live ? 'true' : 'false';
  live.setAttribute('aria-pressed', ui.live ? 'true' : 'false');
  live.querySelector('.live-text').textContent = ui.live ? 'Live' : 'Go live';
  $('[data-testid="scrub-label"]').replaceChildren(
    step
      ? el('span', { title: timeTitle(session, step) }, el('b', {}, `Event ${index + 1}`), ` of ${session.steps.length}`, el('span', { class: 'muted' }, ` · ${clockTime(stepTime(session, index), true)}`))
      : el('span', { class: 'muted' }, 'No events yet'),
  );
  $('[data-testid="step-back"]').disabled = index <= 0;
  $('[data-testid="step-forward"]').disabled = index >= session.steps.length - 1;

  // Chart
  const known = knownMachine(session) && chart.ready;
  chart.svg.style.visibility = known ? 'visible' : 'hidden';
  const placeholder = $('[data-testid="chart-placeholder"]');
  placeholder.hidden = known;
  $('.chart-tools').hidden = !known;
  $('.chart-legend').hidden = !known;
  const taken = step ? step.transitions.map((t) => t.key) : [];
  if (known) {
    highlightChart(value, taken);
    focusChart();
  } else {
    placeholder.replaceChildren(
      el(
        'div',
        { class: 'placeholder-card' },
        el('div', { class: 'placeholder-kicker' }, chart.failed ? 'Chart unavailable' : store.machine && session.machineId ? 'Machine not charted' : 'Waiting for the machine'),
        el('div', { class: `state-pill big ph-${phase}`, 'data-testid': 'placeholder-state' }, stateText || '(no snapshot yet)'),
        el(
          'p',
          {},
          chart.failed
            ? `The layout failed: ${chart.failed}`
            : session.machineId && store.machine
              ? `This actor runs machine "${session.machineId}"; the inspector charts "${store.machine.id}" only. Its states, events and context are shown below.`
              : 'The chart appears once the machine is known.',
        ),
      ),
    );
  }
  renderCaption(session, step, index, snapshotAt(session, index - 1).snapshot, snapshot);
  renderLog(session, index);
  renderContext(session, snapshot, previous.snapshot, snapshotIndex, previous.index);
  renderEffects(session, index);

  rendered = {
    key: session.key,
    itemId: name,
    origin: session.origin,
    machineId: session.machineId ?? null,
    live: ui.live,
    cursor: index,
    steps: session.steps.length,
    // The event shown has been fully processed (its snapshot arrived).
    complete: Boolean(step?.snapshot),
    state: stateText,
    value: value ?? null,
    activePaths: activePaths(value),
    activeLeaves: leafPaths(value),
    highlighted: known ? taken.filter((key) => chart.edges.has(key)) : [],
    taken,
    context: snapshot?.context ?? null,
    chart: known,
  };
}

function metaItem(label, value) {
  return el('span', { class: 'meta-item' }, el('span', { class: 'meta-label' }, label), el('span', { class: 'meta-value' }, value));
}

function renderCaption(session, step, index, before, after) {
  const caption = $('[data-testid="step-caption"]');
  if (!step) {
    caption.replaceChildren(el('span', { class: 'muted' }, 'No events yet'));
    return;
  }
  const from = dotted(before?.value);
  const to = dotted(after?.value);
  const parts = [el('span', { class: `evt evt-${eventKind(step.event?.type)}` }, eventLabel(step.event?.type))];
  if (from && from !== to) parts.push(el('span', { class: 'caption-states' }, el('span', { class: 'from' }, from), el('span', { class: 'arrow-glyph' }, '→'), el('span', { class: `to ph-${phaseOfPath(to)}` }, to)));
  else if (to) parts.push(el('span', { class: 'caption-states' }, el('span', { class: 'muted' }, 'stays in '), el('span', { class: `to ph-${phaseOfPath(to)}` }, to)));
  const transitions = step.transitions;
  const guards = transitions
    .map((t) => store.machine?.transitions.find((d) => d.key === t.key)?.guard)
    .filter(Boolean)
    .map((guard) => `[${compactGuard(guard)}]`);
  if (guards.length) parts.push(el('span', { class: 'caption-guard', title: transitions.map((t) => t.key).join('\n') }, guards.join(' · ')));
  if (step.effects.length) parts.push(el('span', { class: 'caption-effects' }, ...step.effects.map((effect) => el('span', { class: `fx fx-${effect.type}` }, effect.type))));
  caption.replaceChildren(...parts);
}

scrubber.addEventListener('input', () => scrubTo(Number(scrubber.value)));
$('[data-testid="live-button"]').addEventListener('click', () => (ui.live ? scrubTo(cursorIndex(selectedSession())) : goLive()));
$('[data-testid="step-back"]').addEventListener('click', () => scrubTo(cursorIndex(selectedSession()) - 1));
$('[data-testid="step-forward"]').addEventListener('click', () => {
  const session = selectedSession();
  const next = cursorIndex(session) + 1;
  if (session && next >= session.steps.length - 1 && !ui.live) scrubTo(next);
  else scrubTo(next);
});
document.addEventListener('keydown', (event) => {
  const target = event.target;
  // Text fields keep their keys; the slider moves itself.
  if (target instanceof HTMLElement && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
  if (target === listEl) return;
  if (event.key === 'ArrowLeft') {
    event.preventDefault();
    scrubTo(cursorIndex(selectedSession()) - 1);
  } else if (event.key === 'ArrowRight') {
    event.preventDefault();
    scrubTo(cursorIndex(selectedSession()) + 1);
  } else if (event.key === 'l' || event.key === 'L') goLive();
  else if (event.key === 'Escape') {
    if (ui.selectedKey) select(null);
    else if (ui.stateFilter) setStateFilter(null);
  }
});
$('[data-testid="overview-button"]').addEventListener('click', () => select(null));


/* ------------------------------------------------------------------------------------------------
 * Fleet overview (no connection selected): where every connection is, what changed, what was asked
 * --------------------------------------------------------------------------------------------- */

let lastChangesSignature = '';

/** The machine's states under `path`, in document order. */
function childStates(path) {
  return store.machine.states.filter((state) => state.parent === path);
}

/** One card per top-level state, one row per state inside it, each with how many connections are there. */
function renderBoard(counts, total) {
  const board = $('[data-testid="state-board"]');
  const rowOf = (state, depth, phaseTotal) => {
    const n = counts.get(state.path) ?? 0;
    return el(
      'button',
      {
        type: 'button',
        class: `board-state${n ? '' : ' zero'}${ui.stateFilter === state.path ? ' on' : ''}`,
        'data-testid': 'board-state',
        'data-state-path': state.path,
        'data-count': String(n),
        style: `--depth:${depth};--share:${phaseTotal ? (n / phaseTotal) * 100 : 0}%`,
        title: `${state.path}\n${state.description}`,
        onclick: () => setStateFilter(ui.stateFilter === state.path ? null : state.path),
      },
      el('span', { class: 'board-name' }, state.key),
      el('b', {}, n.toLocaleString('en-US')),
    );
  };
  const rowsUnder = (path, depth, phaseTotal) => childStates(path).flatMap((state) => [rowOf(state, depth, phaseTotal), ...rowsUnder(state.path, depth + 1, phaseTotal)]);
  board.replaceChildren(
    ...childStates(ROOT).map((phase) => {
      const n = counts.get(phase.path) ?? 0;
      const rows = rowsUnder(phase.path, 0, n);
      return el(
        'section',
        { class: `board-card ph-${phaseOfPath(phase.path)}${n ? '' : ' zero'}${ui.stateFilter === phase.path ? ' on' : ''}`, 'data-testid': 'board-phase', 'data-state-path': phase.path, 'data-count': String(n) },
        el(
          'button',
          { type: 'button', class: 'board-head', title: `${phase.path}\n${phase.description}`, onclick: () => setStateFilter(ui.stateFilter === phase.path ? null : phase.path) },
          el('span', { class: 'board-title' }, phase.key),
          el('span', { class: 'board-total' }, n.toLocaleString('en-US')),
          el('span', { class: 'board-share' }, total ? `${Math.round((n / total) * 100)}%` : ''),
        ),
        rows.length ? el('div', { class: 'board-rows' }, ...rows) : el('div', { class: 'board-final' }, phase.type === 'final' ? 'final state' : ''),
      );
    }),
    attentionCard(),
  );
}

/** States where a connection waits on a person (the user, an operator) or on nobody at all. */
function needsAttention(session) {
  const text = session.stateText;
  return knownMachine(session) && !session.superseded && (/^(blocked|awaitingUser)\./.test(text) || text === 'pending.stalled' || text === 'unknown.anomaly');
}

function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** The connections that need someone, longest waiting first. */
function attentionCard() {
  const waiting = [...store.sessions.values()].filter(needsAttention).sort((a, b) => a.changedAt - b.changedAt);
  const shown = waiting.slice(0, 60);
  return el(
    'section',
    { class: 'board-card attention', 'data-testid': 'attention', 'data-count': String(waiting.length) },
    el(
      'div',
      { class: 'board-head static' },
      el('span', { class: 'board-title' }, 'Needs someone'),
      el('span', { class: 'board-note' }, 'blocked, waiting for the user, stalled or anomalous: longest first'),
      el('span', { class: 'board-total' }, waiting.length.toLocaleString('en-US')),
    ),
    shown.length === 0
      ? el('div', { class: 'board-final' }, 'Nobody needs to act on any connection.')
      : el(
          'div',
          { class: 'attention-rows' },
          ...shown.map((session) =>
            el(
              'button',
              {
                type: 'button',
                class: `attention-row ph-${session.phase}`,
                'data-testid': 'attention-row',
                'data-item-id': displayName(session),
                title: `Follow ${displayName(session)}`,
                onclick: () => select(session.key),
              },
              el('span', { class: 'change-name' }, displayName(session)),
              el('span', { class: 'attention-state' }, session.stateText),
              el('span', { class: 'attention-since', title: `since ${isoTime(session.changedAt)}` }, `for ${duration(store.now - session.changedAt)}`),
            ),
          ),
          waiting.length > shown.length ? el('div', { class: 'board-final' }, `and ${waiting.length - shown.length} more: click a state above to list them`) : null,
        ),
  );
}

function renderOverview() {
  detailEl.hidden = false;
  emptyEl.hidden = true;
  detailEl.classList.add('overview');
  const sessions = [...store.sessions.values()].filter((session) => !session.superseded);
  const charted = sessions.filter((session) => knownMachine(session));
  const counts = new Map();
  for (const session of charted) for (const path of activePaths(session.value)) counts.set(path, (counts.get(path) ?? 0) + 1);
  const effectTotal = [...store.effectTotals.values()].reduce((a, b) => a + b, 0);

  $('[data-testid="detail-item-id"]').textContent = 'Fleet overview';
  $('[data-testid="detail-item-id"]').title = 'No connection selected: every connection at once';
  $('.detail-now').hidden = true;
  $('[data-testid="detail-status"]').hidden = true;
  $('[data-testid="detail-meta"]').replaceChildren(
    metaItem('connections', sessions.length.toLocaleString('en-US')),
    metaItem(`on ${store.machine.id}`, charted.length.toLocaleString('en-US')),
    ...(sessions.length > charted.length ? [metaItem('other machines', String(sessions.length - charted.length))] : []),
    metaItem('state changes', store.changeCount.toLocaleString('en-US')),
    metaItem('effects', effectTotal.toLocaleString('en-US')),
  );

  chart.svg.style.visibility = 'hidden';
  $('[data-testid="chart-placeholder"]').hidden = true;
  $('.chart-tools').hidden = true;
  $('.chart-legend').hidden = true;
  $('[data-testid="state-board"]').hidden = false;
  renderBoard(counts, charted.length);

  $('[data-testid="step-caption"]').replaceChildren(
    el('span', { class: 'caption-states' }, el('span', {}, 'Where the '), el('b', {}, plural(charted.length, 'connection')), el('span', {}, ' are now')),
    ui.stateFilter
      ? el('span', { class: 'caption-filter' }, 'listing ', el('b', {}, ui.stateFilter), el('button', { type: 'button', class: 'chip-x', onclick: () => setStateFilter(null), title: 'Show every state (Esc)' }, '×'))
      : el('span', { class: 'caption-hint' }, 'Click a state to list its connections; pick a connection on the left to follow its life'),
  );

  renderChanges();
  renderFleetEffects(effectTotal);
}

function renderChanges() {
  const signature = `${store.changeCount}|${store.sessions.size}`;
  if (signature === lastChangesSignature) return;
  lastChangesSignature = signature;
  const recent = store.changes.slice(-150).reverse().filter((change) => store.sessions.get(change.session.key) === change.session);
  $('[data-testid="changes-count"]').textContent = store.changeCount > recent.length ? `latest ${recent.length} of ${store.changeCount.toLocaleString('en-US')}` : String(recent.length);
  const feed = $('[data-testid="recent-changes"]');
  if (recent.length === 0) {
    feed.replaceChildren(el('div', { class: 'log-empty' }, 'No connection has changed state yet.'));
    return;
  }
  feed.replaceChildren(
    ...recent.map((change) => {
      const step = change.session.steps[change.step];
      return el(
        'div',
        {
          class: `change-row ph-${phaseOfPath(change.to)}`,
          'data-testid': 'change-row',
          'data-item-id': displayName(change.session),
          role: 'button',
          tabindex: '0',
          title: `Show ${displayName(change.session)} as it was after this change`,
          onclick: () => {
            select(change.session.key);
            scrubTo(change.step);
          },
        },
        el('span', { class: 'log-time' }, clockTime(change.at, true)),
        el('span', { class: 'change-name' }, displayName(change.session)),
        el('span', { class: 'log-change' }, el('span', { class: 'from' }, change.from), el('span', { class: 'arrow-glyph' }, '→'), el('span', { class: 'to' }, change.to)),
        el('span', { class: 'log-fx' }, ...(step?.effects ?? []).filter((effect) => effect.type !== 'fetch').map((effect) => el('span', { class: `fx fx-${effect.type}` }, effect.type))),
      );
    }),
  );
}

function renderFleetEffects(total) {
  $('[data-testid="fleet-effects-count"]').textContent = total ? total.toLocaleString('en-US') : '';
  const types = [...EFFECT_ORDER, ...[...store.effectTotals.keys()].filter((type) => !EFFECT_ORDER.includes(type))];
  const max = Math.max(1, ...store.effectTotals.values());
  $('[data-testid="fleet-effects"]').replaceChildren(
    ...types.map((type) => {
      const n = store.effectTotals.get(type) ?? 0;
      return el(
        'div',
        { class: `fleet-effect${n ? '' : ' zero'}`, 'data-testid': 'fleet-effect', 'data-effect': type, 'data-count': String(n) },
        el('span', { class: `fx fx-${type}` }, type),
        el('span', { class: 'fleet-bar' }, el('i', { class: `fx-${type}`, style: `width:${(n / max) * 100}%` })),
        el('b', {}, n.toLocaleString('en-US')),
      );
    }),
  );
}

/* ------------------------------------------------------------------------------------------------
 * Event log
 * --------------------------------------------------------------------------------------------- */

const logEl = $('[data-testid="event-log"]');
let lastLogSignature = '';

function jsonHtml(value, indent = 0) {
  const space = '  '.repeat(indent);
  if (value === null) return '<span class="j-null">null</span>';
  if (typeof value === 'string') {
    const cls = value === '[redacted]' ? 'j-redacted' : 'j-str';
    return `<span class="${cls}">${escapeHtml(JSON.stringify(value))}</span>`;
  }
  if (typeof value === 'number') return `<span class="j-num">${value}</span>`;
  if (typeof value === 'boolean') return `<span class="j-bool">${value}</span>`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${space}  ${jsonHtml(item, indent + 1)}`).join(',\n')}\n${space}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([key, item]) => `${space}  <span class="j-key">${escapeHtml(JSON.stringify(key))}</span>: ${jsonHtml(item, indent + 1)}`).join(',\n')}\n${space}}`;
  }
  return escapeHtml(String(value));
}

function jsonBlock(value) {
  const pre = el('pre', { class: 'json' });
  pre.innerHTML = jsonHtml(value);
  return pre;
}

function renderLog(session, index) {
  const needle = ui.logFilter.trim().toLowerCase();
  const signature = `${session.key}|${session.version}|${needle}|${ui.logLimit}|${[...ui.expanded].join(',')}`;
  if (signature !== lastLogSignature) {
    lastLogSignature = signature;
    const matching = needle ? session.steps.filter((step) => stepSearchText(session, step).includes(needle)) : session.steps;
    $('[data-testid="log-count"]').textContent = needle ? `${matching.length} of ${session.steps.length}` : String(session.steps.length);
    const hidden = Math.max(0, matching.length - ui.logLimit);
    const shown = matching.slice(hidden);
    const rows = [];
    if (hidden > 0) {
      rows.push(
        el(
          'button',
          { type: 'button', class: 'log-more', onclick: () => ((ui.logLimit += LOG_PAGE), scheduleRender({ detail: true })) },
          `Show ${Math.min(hidden, LOG_PAGE)} earlier of ${hidden} hidden`,
        ),
      );
    }
    if (shown.length === 0) rows.push(el('div', { class: 'log-empty' }, needle ? `No event matches "${ui.logFilter.trim()}".` : 'No events yet.'));
    for (const step of shown) rows.push(...logRow(session, step));
    logEl.replaceChildren(...rows);
  }
  // Selection only toggles classes: cheap on every scrub.
  let selectedRow = null;
  for (const row of logEl.querySelectorAll('.log-row')) {
    const on = Number(row.dataset.step) === index;
    row.classList.toggle('selected', on);
    row.classList.toggle('future', !ui.live && Number(row.dataset.step) > index);
    row.setAttribute('aria-current', on ? 'true' : 'false');
    if (on) selectedRow = row;
  }
  if (ui.live) logEl.scrollTop = logEl.scrollHeight;
  else if (selectedRow) selectedRow.scrollIntoView({ block: 'nearest' });
}

function noteOf(step) {
  const note = quietNote(step);
  return note ? el('span', { class: `log-note${note.ignored ? ' ignored' : ''}`, 'data-testid': 'log-note', title: note.title }, note.text) : null;
}

function logRow(session, step) {
  const before = snapshotAt(session, step.index - 1).snapshot;
  const from = dotted(before?.value);
  const to = step.snapshot ? dotted(step.snapshot.value) : '';
  const expanded = ui.expanded.has(step.index);
  const change = !to
    ? el('span', { class: 'muted' }, 'no snapshot')
    : from && from !== to
      ? el('span', { class: 'log-change' }, el('span', { class: 'from' }, from), el('span', { class: 'arrow-glyph' }, '→'), el('span', { class: `to ph-${phaseOfPath(to)}` }, to))
      : el('span', { class: 'log-change stays' }, el('span', { class: `to ph-${phaseOfPath(to)}` }, to), noteOf(step));
  const row = el(
    'div',
    {
      class: `log-row${expanded ? ' expanded' : ''}`,
      'data-testid': 'log-entry',
      'data-step': step.index,
      'data-event-type': step.event?.type ?? '',
      'data-state': to,
      role: 'button',
      tabindex: '0',
      title: 'Show the machine as it was after this event',
      onclick: (event) => {
        if (event.target.closest('.log-toggle')) return;
        scrubTo(step.index);
      },
      onkeydown: (event) => {
        if (event.key === 'Enter') scrubTo(step.index);
      },
    },
    el(
      'button',
      {
        type: 'button',
        class: 'log-toggle',
        'data-testid': 'log-expand',
        'aria-expanded': expanded ? 'true' : 'false',
        title: expanded ? 'Hide the payload' : 'Show the payload',
        onclick: () => {
          if (ui.expanded.has(step.index)) ui.expanded.delete(step.index);
          else ui.expanded.add(step.index);
          scheduleRender({ detail: true });
        },
      },
      svg('svg', { viewBox: '0 0 20 20', 'aria-hidden': 'true' }, svg('path', { d: 'M7.5 5l5 5-5 5' })),
    ),
    el('span', { class: 'log-idx' }, String(step.index + 1)),
    el('span', { class: 'log-time', title: timeTitle(session, step) }, clockTime(stepTime(session, step.index), true)),
    el('span', { class: `evt evt-${eventKind(step.event?.type)}`, title: step.event?.type }, eventLabel(step.event?.type)),
    change,
    el('span', { class: 'log-fx' }, ...step.effects.map((effect) => el('span', { class: `fx fx-${effect.type}` }, effect.type))),
  );
  if (!expanded) return [row];
  const detail = el('div', { class: 'log-detail', 'data-testid': 'log-payload' });
  detail.append(el('div', { class: 'detail-label' }, 'Event'), jsonBlock(step.event));
  if (step.transitions.length) {
    detail.append(
      el('div', { class: 'detail-label' }, 'Transitions taken'),
      el('ul', { class: 'detail-list' }, ...step.transitions.map((t) => el('li', {}, el('code', {}, t.key), ' → ', t.targets.length ? t.targets.join(', ') : '(stays)'))),
    );
  }
  if (step.effects.length) detail.append(el('div', { class: 'detail-label' }, 'Effects'), jsonBlock(step.effects));
  const actions = step.actions.filter((action) => !String(action?.type).startsWith('xstate.'));
  if (actions.length) detail.append(el('div', { class: 'detail-label' }, 'Actions'), jsonBlock(actions));
  return [row, detail];
}

$('[data-testid="log-filter"]').addEventListener('input', (event) => {
  ui.logFilter = event.target.value;
  ui.logLimit = LOG_PAGE;
  scheduleRender({ detail: true });
});

/* ------------------------------------------------------------------------------------------------
 * Snapshot and context, with a diff against the previous snapshot
 * --------------------------------------------------------------------------------------------- */

const contextEl = $('[data-testid="context-panel"]');

function isPlainObject(value) {
  return value !== null && typeof value === 'object';
}

function leafHtml(value, key) {
  if (typeof value === 'number' && value > 1e12 && value < 4e12 && /at$|clock|due|time|^[a-z]+$/i.test(key)) {
    return `<span class="j-num">${value}</span><span class="j-hint">${escapeHtml(isoTime(value))}</span>`;
  }
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (isPlainObject(value) && Object.keys(value).length === 0) return '{}';
  if (isPlainObject(value)) return `<span class="j-inline">${escapeHtml(JSON.stringify(value))}</span>`;
  return jsonHtml(value);
}

/** Lines of a JSON tree, each marked `same`, `added`, `removed` or `changed` against `prev`. */
function diffLines(cur, prev, hasPrev) {
  const lines = [];
  const walk = (value, old, key, path, depth, status) => {
    const expandable = isPlainObject(value) && Object.keys(value).length > 0;
    const oldExpandable = isPlainObject(old) && Object.keys(old).length > 0;
    if (status === 'removed') {
      lines.push({ depth, key, path, status, html: leafHtml(old, key) });
      return true;
    }
    if (expandable && (status === 'added' || status === 'same-tree')) {
      lines.push({ depth, key, path, status: status === 'added' ? 'added' : 'same', open: Array.isArray(value) ? '[' : '{' });
      for (const [childKey, child] of Object.entries(value)) walk(child, undefined, childKey, `${path}${path ? '.' : ''}${childKey}`, depth + 1, status);
      lines.push({ depth, close: Array.isArray(value) ? ']' : '}', status: status === 'added' ? 'added' : 'same', path });
      return status === 'added';
    }
    if (expandable && oldExpandable && Array.isArray(value) === Array.isArray(old)) {
      const openAt = lines.length;
      lines.push({ depth, key, path, status: 'same', open: Array.isArray(value) ? '[' : '{' });
      let changed = false;
      const keys = [...new Set([...Object.keys(value), ...Object.keys(old)])];
      for (const childKey of keys) {
        const inCur = Object.prototype.hasOwnProperty.call(value, childKey);
        const inOld = Object.prototype.hasOwnProperty.call(old, childKey);
        const childPath = `${path}${path ? '.' : ''}${childKey}`;
        const childStatus = !inOld ? 'added' : !inCur ? 'removed' : undefined;
        if (childStatus) {
          walk(inCur ? value[childKey] : undefined, inOld ? old[childKey] : undefined, childKey, childPath, depth + 1, childStatus);
          changed = true;
        } else if (walk(value[childKey], old[childKey], childKey, childPath, depth + 1, 'compare')) changed = true;
      }
      lines[openAt].containsChange = changed;
      lines.push({ depth, close: Array.isArray(value) ? ']' : '}', status: 'same', path });
      return changed;
    }
    if (status === 'compare' && !expandable && JSON.stringify(value) === JSON.stringify(old)) {
      lines.push({ depth, key, path, status: 'same', html: leafHtml(value, key) });
      return false;
    }
    if (status === 'compare') {
      if (expandable) {
        // A leaf became an object (e.g. null → {…}): the old value struck through, the new members added.
        lines.push({ depth, key, path, status: 'changed', open: Array.isArray(value) ? '[' : '{', old: leafHtml(old, key) });
        for (const [childKey, child] of Object.entries(value)) walk(child, undefined, childKey, `${path}${path ? '.' : ''}${childKey}`, depth + 1, 'added');
        lines.push({ depth, close: Array.isArray(value) ? ']' : '}', status: 'same', path });
        return true;
      }
      lines.push({ depth, key, path, status: 'changed', html: leafHtml(value, key), old: leafHtml(old, key) });
      return true;
    }
    lines.push({ depth, key, path, status: status === 'added' ? 'added' : 'same', html: leafHtml(value, key) });
    return status === 'added';
  };
  if (!hasPrev) walk(cur, undefined, null, '', 0, 'same-tree');
  else walk(cur, prev, null, '', 0, 'compare');
  return lines;
}

function countDiff(lines) {
  const counts = { added: 0, removed: 0, changed: 0 };
  // Count keys, not lines: members of an added object are not counted again.
  const stack = [];
  for (const line of lines) {
    if (line.close) {
      stack.pop();
      continue;
    }
    const inside = stack.some((status) => status === 'added' || status === 'changed');
    if (!inside && line.status in counts) counts[line.status]++;
    if (line.open) stack.push(line.status);
  }
  return counts;
}

function renderContext(session, snapshot, previous, index, previousIndex) {
  if (!snapshot) {
    contextEl.replaceChildren(el('div', { class: 'log-empty' }, 'No snapshot yet.'));
    return;
  }
  const hasPrev = Boolean(previous);
  const lines = diffLines(snapshot.context ?? {}, previous?.context ?? {}, hasPrev);
  const valueChanged = hasPrev && JSON.stringify(previous.value) !== JSON.stringify(snapshot.value);
  const counts = countDiff(lines);
  const stateText = dotted(snapshot.value);

  const head = el(
    'div',
    { class: 'snap-head' },
    el(
      'div',
      { class: 'snap-grid' },
      el('span', { class: 'snap-label' }, 'State'),
      el(
        'span',
        {},
        el('span', { class: `state-pill ph-${phaseOf(session, stateText)}`, 'data-testid': 'snapshot-state' }, stateText || '(none)'),
        valueChanged ? el('span', { class: 'was', 'data-testid': 'snapshot-previous-state' }, 'was ', el('s', {}, dotted(previous.value))) : null,
      ),
      el('span', { class: 'snap-label' }, 'Value'),
      el('code', { class: 'snap-value', 'data-testid': 'snapshot-value' }, JSON.stringify(snapshot.value)),
      el('span', { class: 'snap-label' }, 'Status'),
      el('span', {}, snapshot.status ?? 'active'),
    ),
    el(
      'div',
      { class: 'diff-bar' },
      el('span', { class: 'snap-label' }, 'Context'),
      hasPrev
        ? el(
            'span',
            { class: 'diff-summary', 'data-testid': 'diff-summary' },
            el('span', { class: 'ds ds-added' }, `+${counts.added} added`),
            el('span', { class: 'ds ds-changed' }, `~${counts.changed} changed`),
            el('span', { class: 'ds ds-removed' }, `−${counts.removed} removed`),
            el('span', { class: 'muted' }, previousIndex >= 0 ? ` vs event ${previousIndex + 1}` : ' vs the first snapshot'),
          )
        : el('span', { class: 'muted' }, 'first snapshot'),
      el('span', { class: 'spacer' }),
      el(
        'label',
        { class: 'toggle' },
        el('input', {
          type: 'checkbox',
          'data-testid': 'changes-only',
          checked: ui.changesOnly,
          onchange: (event) => {
            ui.changesOnly = event.target.checked;
            scheduleRender({ detail: true });
          },
        }),
        'changes only',
      ),
    ),
  );

  // "Changes only": keep changed lines and the brackets of the objects that contain them.
  let shownLines = lines;
  if (ui.changesOnly && hasPrev) {
    const keep = new Set();
    const stack = [];
    lines.forEach((line, i) => {
      if (line.open) stack.push(i);
      else if (line.close) {
        const open = stack.pop();
        if (lines[open]?.containsChange || lines[open]?.status !== 'same') {
          keep.add(open);
          keep.add(i);
        }
      } else if (line.status !== 'same') keep.add(i);
    });
    shownLines = lines.filter((_, i) => keep.has(i));
  }

  const tree = el('div', { class: 'json-tree', 'data-testid': 'context-tree' });
  const html = shownLines
    .map((line) => {
      const key = line.key === null || line.key === undefined ? '' : `<span class="j-key">${escapeHtml(line.key)}</span><span class="j-colon">: </span>`;
      const marker = { added: '+', removed: '−', changed: '~' }[line.status] ?? '';
      const old = line.old !== undefined ? `<span class="j-old" title="previous value">${line.old}</span>` : '';
      const body = line.close ? line.close : line.open ? `${key}${line.open}${old}` : `${key}${line.html}${old}`;
      const attrs = line.close ? '' : ` data-path="${escapeHtml(line.path)}" data-diff="${line.status}"`;
      return `<div class="jl diff-${line.status}"${attrs} style="--depth:${line.depth}"><span class="jl-mark">${marker}</span><span class="jl-body">${body}</span></div>`;
    })
    .join('');
  tree.innerHTML = html || '<div class="log-empty">No change.</div>';
  contextEl.replaceChildren(head, tree);
  contextEl.dataset.state = stateText;
  contextEl.dataset.step = String(index);
}

/* ------------------------------------------------------------------------------------------------
 * Effects: a timeline (one lane per type) and the list
 * --------------------------------------------------------------------------------------------- */

const EFFECT_ORDER = ['fetch', 'sync', 'scheduleRetry', 'userInputRequired', 'userActionRequired', 'reconnectRequired', 'stalled', 'recovered', 'deleted', 'anomaly'];

function niceStep(span) {
  const steps = [1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 216e5, 432e5, 864e5];
  return steps.find((s) => span / s <= 7) ?? 864e5 * Math.ceil(span / 864e5 / 7);
}

function renderEffects(session, index) {
  const count = session.effects.length;
  $('[data-testid="effects-count"]').textContent = count ? String(count) : '';
  if (ui.tab !== 'effects') return;
  const timeline = $('[data-testid="effects-timeline"]');
  const listBox = $('[data-testid="effects-list"]');
  if (count === 0) {
    timeline.replaceChildren(el('div', { class: 'log-empty' }, session.origin === 'statelyai' ? '@statelyai/inspect does not forward emitted events.' : 'No effects emitted yet.'));
    listBox.replaceChildren();
    return;
  }
  const items = session.effects.map((entry) => ({ ...entry, time: stepTime(session, entry.step) }));
  const types = [...new Set(items.map((item) => item.effect.type))].sort((a, b) => (EFFECT_ORDER.indexOf(a) + 1 || 99) - (EFFECT_ORDER.indexOf(b) + 1 || 99));
  let t0 = Math.min(...items.map((item) => item.time));
  let t1 = Math.max(...items.map((item) => item.time));
  const cursorTime = stepTime(session, index);
  if (Number.isFinite(cursorTime)) {
    t0 = Math.min(t0, cursorTime);
    t1 = Math.max(t1, cursorTime);
  }
  if (t1 - t0 < 2000) {
    const mid = (t0 + t1) / 2;
    t0 = mid - 1000;
    t1 = mid + 1000;
  }
  const span = t1 - t0;
  t0 -= span * 0.04;
  t1 += span * 0.04;

  const width = Math.max(320, timeline.clientWidth || 480);
  const laneH = 26;
  const left = Math.ceil(Math.max(...types.map((type) => textWidth(type, `600 11.5px ${FONT_MONO}`)))) + 56;
  const right = 16;
  const top = 8;
  const axisH = 26;
  const height = top + types.length * laneH + axisH;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);

  const root = svg('svg', { class: 'timeline-svg', width, height, viewBox: `0 0 ${width} ${height}` });
  types.forEach((type, lane) => {
    const y = top + lane * laneH;
    const n = items.filter((item) => item.effect.type === type).length;
    root.append(
      svg('rect', { class: `lane ${lane % 2 ? 'odd' : ''}`, x: 0, y, width, height: laneH }),
      svg('text', { class: 'lane-label', x: 12, y: y + laneH / 2 + 4 }, type),
      svg('text', { class: 'lane-count', x: left - 12, y: y + laneH / 2 + 4, 'text-anchor': 'end' }, `×${n}`),
    );
  });
  const tick = niceStep(t1 - t0);
  const axisY = top + types.length * laneH;
  root.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: axisY, y2: axisY }));
  for (let t = Math.ceil(t0 / tick) * tick; t <= t1; t += tick) {
    const tx = x(t);
    root.append(
      svg('line', { class: 'grid', x1: tx, x2: tx, y1: top, y2: axisY }),
      svg('text', { class: 'tick', x: tx, y: axisY + 16, 'text-anchor': 'middle' }, tick < 6e4 ? clockTime(t) : clockTime(t).slice(0, 5)),
    );
  }
  if (Number.isFinite(cursorTime)) {
    const cx = x(cursorTime);
    root.append(svg('line', { class: 'cursor', x1: cx, x2: cx, y1: top - 4, y2: axisY + 2, 'data-testid': 'timeline-cursor' }));
  }
  // Marks at the same time and lane fan out slightly so each stays visible and clickable.
  const seen = new Map();
  for (const item of items) {
    const lane = types.indexOf(item.effect.type);
    const slot = `${lane}|${Math.round(x(item.time))}`;
    const offset = seen.get(slot) ?? 0;
    seen.set(slot, offset + 1);
    const cx = x(item.time) + Math.min(offset, 4) * 5;
    const cy = top + lane * laneH + laneH / 2;
    const future = item.step > index;
    const selected = ui.selectedEffect === item.seq;
    const mark = svg(
      'g',
      {
        class: `mark fx-${item.effect.type}${future ? ' future' : ''}${item.step === index ? ' current' : ''}${selected ? ' selected' : ''}`,
        'data-testid': 'effect-mark',
        'data-effect-type': item.effect.type,
        'data-step': item.step,
        'aria-label': `${item.effect.type} at event ${item.step + 1}`,
        tabindex: '0',
        onclick: () => {
          ui.selectedEffect = item.seq;
          scrubTo(item.step);
        },
      },
      svg('circle', { cx, cy, r: 6 }),
      svg('title', {}, `${item.effect.type} · event ${item.step + 1} · ${isoTime(item.time)}\n${JSON.stringify(item.effect)}`),
    );
    root.append(mark);
  }
  root.append(svg('text', { class: 'axis-caption', x: left, y: height - 1 }, ''));
  timeline.replaceChildren(root, el('div', { class: 'timeline-caption' }, 'machine time (context.clock) · click a mark to see the machine then'));

  const shown = items.filter((item) => item.step <= index).reverse().slice(0, 200);
  listBox.replaceChildren(
    el('div', { class: 'effects-list-head' }, `${plural(shown.length === 200 ? items.filter((i) => i.step <= index).length : shown.length, 'effect')} up to event ${index + 1}`),
    ...shown.map((item) =>
      el(
        'details',
        { class: `effect-item${item.step === index ? ' current' : ''}`, 'data-testid': 'effect-item', open: ui.selectedEffect === item.seq },
        el(
          'summary',
          {},
          el('span', { class: `fx fx-${item.effect.type}` }, item.effect.type),
          el('span', { class: 'effect-when' }, `event ${item.step + 1} · ${clockTime(item.time)}`),
          el('span', { class: 'effect-brief' }, briefEffect(item.effect)),
        ),
        jsonBlock(item.effect),
      ),
    ),
  );
}

function briefEffect(effect) {
  return Object.entries(effect)
    .filter(([key]) => key !== 'type' && key !== 'itemId')
    .map(([key, value]) => `${key}: ${typeof value === 'object' && value !== null ? '…' : String(value)}`)
    .join(' · ');
}

/* ------------------------------------------------------------------------------------------------
 * Tabs and the splitter
 * --------------------------------------------------------------------------------------------- */

document.querySelectorAll('[data-tab]').forEach((tab) =>
  tab.addEventListener('click', () => {
    ui.tab = tab.dataset.tab;
    document.querySelectorAll('[data-tab]').forEach((other) => other.setAttribute('aria-selected', other === tab ? 'true' : 'false'));
    document.querySelectorAll('[data-tab-body]').forEach((body) => (body.hidden = body.dataset.tabBody !== ui.tab));
    scheduleRender({ detail: true });
  }),
);

const splitter = $('[data-testid="splitter"]');
splitter.addEventListener('pointerdown', (event) => {
  const panels = $(detailEl.classList.contains('overview') ? '.overview-panels' : '.panels');
  const startY = event.clientY;
  const startH = panels.getBoundingClientRect().height;
  splitter.setPointerCapture(event.pointerId);
  const move = (e) => {
    const next = Math.max(140, Math.min(window.innerHeight - 260, startH - (e.clientY - startY)));
    detailEl.style.setProperty('--panels-h', `${next}px`);
  };
  const up = () => {
    splitter.removeEventListener('pointermove', move);
    splitter.removeEventListener('pointerup', up);
  };
  splitter.addEventListener('pointermove', move);
  splitter.addEventListener('pointerup', up);
});
new ResizeObserver(() => {
  if (ui.tab === 'effects') scheduleRender({ detail: true });
}).observe($('.side-panel'));

/* ------------------------------------------------------------------------------------------------
 * Connection to the server
 * --------------------------------------------------------------------------------------------- */

let retryMs = 500;

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/viewer${QUERY}`);
  ui.socket = 'connecting';
  socket.addEventListener('open', () => {
    ui.socket = 'open';
    retryMs = 500;
    scheduleRender({});
  });
  socket.addEventListener('message', (message) => {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (!data || data.type !== 'frames' || !Array.isArray(data.frames)) return;
    // The replay buffer is the whole truth: rebuild from it (after a reconnect, too).
    if (data.replay) resetStore();
    const before = selectedSession()?.version;
    for (const frame of data.frames) applyFrame(frame);
    store.version++;
    if (!ui.selectedKey) autoSelect();
    // Frames about other connections only touch the list (and the fleet overview, when it shows).
    scheduleRender({ list: true, detail: data.replay || !ui.selectedKey || selectedSession()?.version !== before });
  });
  socket.addEventListener('close', () => {
    ui.socket = 'closed';
    scheduleRender({});
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 8000);
  });
}

/** Selects the connection named in the URL (`#item=<itemId>`) once it shows up. */
function autoSelect() {
  const wanted = new URLSearchParams(location.hash.slice(1)).get('item');
  if (!wanted) return;
  for (const session of store.sessions.values()) {
    if (displayName(session) === wanted) {
      select(session.key);
      return;
    }
  }
}

async function loadMachine() {
  try {
    const response = await fetch(`/api/machine${QUERY}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    store.machine = await response.json();
  } catch (error) {
    chart.failed = error instanceof Error ? error.message : String(error);
    $('[data-testid="machine-id"]').textContent = `machine unavailable (${chart.failed})`;
    scheduleRender();
    return;
  }
  $('[data-testid="machine-id"]').textContent = `machine: ${store.machine.id} · ${store.machine.states.length - 1} states · ${store.machine.transitions.length} transitions`;
  $('[data-testid="machine-id"]').title = store.machine.description;
  for (const session of store.sessions.values()) session.phase = phaseOf(session, session.stateText);
  scheduleRender();
  try {
    await buildChart(store.machine);
  } catch (error) {
    // The list, the log and the overview still work; the chart area says why it is empty.
    chart.failed = error instanceof Error ? error.message : String(error);
  }
  scheduleRender();
}

window.addEventListener('hashchange', autoSelect);

/** For tests and debugging: what is on screen right now. Read-only. */
Object.defineProperty(window, '__inspector', {
  value: Object.freeze({
    get ready() {
      return chart.ready && ui.socket === 'open';
    },
    get settled() {
      return !chart.moving && !renderQueued;
    },
    get frames() {
      return store.frameCount;
    },
    get socket() {
      return ui.socket;
    },
    connections() {
      return [...store.sessions.values()].map((session) => ({
        key: session.key,
        itemId: displayName(session),
        origin: session.origin,
        machineId: session.machineId ?? null,
        state: session.stateText,
        phase: session.phase,
        steps: session.steps.length,
        effects: session.effects.length,
      }));
    },
    visible() {
      return visible.map((session) => displayName(session));
    },
    view() {
      return rendered ? JSON.parse(JSON.stringify(rendered)) : null;
    },
  }),
});

loadMachine();
connect();
scheduleRender();
